"""French wording of eligibility results: which criterion, what it asks, met / not met / cannot be checked, and
the question to ask when data is missing. Pure Python, no Django; every string here is shown to users."""

from __future__ import annotations

from tandem.companies.nomenclatures import naf_section_label

from .profile import (
    HEADCOUNT,
    MICRO_ENTERPRISE,
    NAF_CODE,
    NAF_SECTION_PREFIX,
    NAF_SECTIONS,
    OBJECTIVE_BY_RULE,
    OBJECTIVE_PREFIX,
    OBJECTIVES,
    REGION,
    TODAY,
    VALID_FROM,
    VALID_UNTIL,
)
from .publicodes import Const, Op, Ref

ELIGIBLE, NOT_ELIGIBLE, UNDETERMINED, INVALID = "eligible", "not_eligible", "undetermined", "invalid"
MET, FAILED, UNKNOWN = "met", "failed", "unknown"

STATUS_LABELS = {
    ELIGIBLE: "Éligible",
    NOT_ELIGIBLE: "Non éligible",
    UNDETERMINED: "À confirmer : informations manquantes",
    INVALID: "Éligibilité non vérifiable : règles du dispositif inutilisables",
}
CRITERION_STATUS_LABELS = {
    MET: "rempli",
    FAILED: "non rempli",
    UNKNOWN: "non vérifiable (information manquante)",
}
VALIDITY = "validité"  # pseudo rule name of a scheme's opening period

CRITERION_LABELS = {
    "entreprise . est éligible": "Conditions d'éligibilité",
    "entreprise . a un effectif éligible": "Effectif salarié",
    "entreprise . a une categorie legale eligible": "Forme de l'entreprise",
    "entreprise . est dans une zone géographique éligible": "Zone géographique",
    "entreprise . est dans un secteur d'activité ciblé": "Secteur d'activité",
    "entreprise . a un objectif ciblé": "Objectif du projet",
    "entreprise . est dans une section NAF ciblée": "Secteur d'activité (section NAF)",
    "entreprise . a un code NAF hors exclusions": "Code NAF",
    VALIDITY: "Période d'ouverture du dispositif",
}

OBJECTIVE_CHOICES = ", ".join(label.lower() for _rule, label in OBJECTIVES.values())
QUESTIONS = {
    HEADCOUNT: "Combien de salariés compte l'entreprise ?",
    MICRO_ENTERPRISE: "L'entreprise relève-t-elle du régime de la micro-entreprise ?",
    REGION: "Dans quelle région l'entreprise est-elle implantée ?",
    NAF_CODE: "Quel est le code NAF (activité principale) de l'entreprise ?",
    "entreprise . est propriétaire de ses locaux": "L'entreprise est-elle propriétaire de ses locaux ?",
    "questionnaire . parcours": "Le besoin porte-t-il sur un objectif précis ?",
    VALID_FROM: "Date d'ouverture du dispositif inconnue : à vérifier auprès de l'opérateur.",
    VALID_UNTIL: "Date de clôture du dispositif inconnue : à vérifier auprès de l'opérateur.",
    TODAY: "Date d'évaluation manquante.",
}
OBJECTIVE_QUESTION = f"Quel est l'objectif du projet ({OBJECTIVE_CHOICES}) ?"
ACTIVITY_QUESTION = "Quel est le secteur d'activité de l'entreprise (industrie, tertiaire, agriculture, tourisme, artisanat) ?"
TEXT_CONDITION_LABELS = {
    "taille de l'entreprise": "Taille de l'entreprise",
    "secteur géographique": "Secteur géographique",
    "secteur d'activité": "Secteur d'activité",
    "nombre d'années d'activité": "Nombre d'années d'activité",
    "autres critères d'éligibilité": "Autres critères",
}


def question_for(missing_rule: str) -> str:
    """The question to ask for a piece of data the rules need (one question per fact, in French)."""
    if missing_rule.startswith(NAF_SECTION_PREFIX) or missing_rule == "entreprise . code NAF niveau 1":
        return QUESTIONS[NAF_CODE]
    if missing_rule.startswith(OBJECTIVE_PREFIX) or missing_rule == "questionnaire . objectif prioritaire":
        return OBJECTIVE_QUESTION
    if missing_rule.startswith("entreprise . secteur d'activité"):
        return ACTIVITY_QUESTION
    return QUESTIONS.get(missing_rule, f"Information manquante : « {missing_rule} ».")


def questions_for(missing_rules) -> tuple[str, ...]:
    """One question per missing fact; objectives are asked among those the criterion accepts."""
    objectives = [OBJECTIVE_BY_RULE[rule] for rule in sorted(missing_rules) if rule in OBJECTIVE_BY_RULE]
    questions = []
    for rule in sorted(missing_rules):
        if rule in OBJECTIVE_BY_RULE:
            choices = " ; ".join(
                OBJECTIVES[code][1].lower() for code in sorted(objectives, key=list(OBJECTIVES).index)
            )
            questions.append(f"Le projet vise-t-il l'un de ces objectifs : {choices} ?")
        else:
            questions.append(question_for(rule))
    return tuple(dict.fromkeys(questions))


def criterion_label(rule: str) -> str:
    if rule in CRITERION_LABELS:
        return CRITERION_LABELS[rule]
    leaf = rule.split(" . ")[-1]
    return leaf[:1].upper() + leaf[1:]


def _leaves(node, kind: str):
    """The operands of a chain of `et` / `ou` (toutes ces conditions / une de ces conditions)."""
    if isinstance(node, Op) and node.kind == kind:
        yield from _leaves(node.left, kind)
        yield from _leaves(node.right, kind)
    elif not (isinstance(node, Const) and node.value is (kind == "et")):
        yield node


def _value_text(node) -> str:
    if isinstance(node, Const):
        if node.value is True:
            return "oui"
        if node.value is False:
            return "non"
        return str(node.value)
    if isinstance(node, Ref):
        return node.dotted.split(" . ")[-1]
    return describe(node)


COMPARATOR_WORDS = {"<=": "au plus", ">=": "au moins", "<": "moins de", ">": "plus de"}


def describe(node) -> str:
    """What a rule asks, in French, for the shapes the TEE rules use; other shapes are written out."""
    if isinstance(node, Op) and node.kind in ("et", "ou"):
        parts = list(_leaves(node, node.kind))
        regions = [_value_text(p.right) for p in parts if isinstance(p, Op) and _is_ref(p.left, REGION)]
        if regions and len(regions) == len(parts):
            return "entreprise implantée en : " + ", ".join(regions)
        sections = [p.dotted[len(NAF_SECTION_PREFIX) :] for p in parts if _is_prefixed(p, NAF_SECTION_PREFIX)]
        if sections and len(sections) == len(parts):
            return _sections_text(sections)
        objectives = [OBJECTIVE_BY_RULE.get(p.dotted) for p in parts if _is_prefixed(p, OBJECTIVE_PREFIX)]
        if objectives and len(objectives) == len(parts) and all(objectives):
            return "objectif : " + " ou ".join(OBJECTIVES[code][1].lower() for code in objectives)
        return (" et " if node.kind == "et" else " ou ").join(
            describe(p) for p in parts
        ) or "aucune condition"
    if isinstance(node, Op) and isinstance(node.left, Ref):
        if node.left.dotted == HEADCOUNT and node.kind in COMPARATOR_WORDS and isinstance(node.right, Const):
            return f"{COMPARATOR_WORDS[node.kind]} {node.right.value} salariés"
        if node.left.dotted == MICRO_ENTERPRISE and node.kind == "=" and isinstance(node.right, Const):
            return (
                "micro-entreprises uniquement" if node.right.value else "hors régime de la micro-entreprise"
            )
        if node.left.dotted == REGION and node.kind == "=":
            return "entreprise implantée en : " + _value_text(node.right)
    if _is_prefixed(node, NAF_SECTION_PREFIX):
        return _sections_text([node.dotted[len(NAF_SECTION_PREFIX) :]])
    if isinstance(node, Op):
        symbols = {
            "=": "=",
            "!=": "≠",
            "<=": "≤",
            ">=": "≥",
            "<": "<",
            ">": ">",
            "+": "+",
            "-": "−",
            "*": "×",
            "/": "/",
        }
        return f"{_value_text(node.left)} {symbols.get(node.kind, node.kind)} {_value_text(node.right)}"
    return _value_text(node)


def _is_ref(node, dotted: str) -> bool:
    return isinstance(node, Ref) and node.dotted == dotted


def _is_prefixed(node, prefix: str) -> bool:
    return isinstance(node, Ref) and node.dotted.startswith(prefix)


def _sections_text(sections: list[str]) -> str:
    excluded = [s for s in NAF_SECTIONS if s not in sections]
    if not excluded:
        return "toutes les activités (sections NAF A à U)"
    if len(excluded) <= len(sections):
        names = ", ".join(f"{s} ({naf_section_label(s).lower()})" for s in excluded)
        return f"toutes les activités sauf les sections NAF {names}"
    return "sections NAF " + ", ".join(f"{s} ({naf_section_label(s).lower()})" for s in sections)


def validity_text(valid_from, valid_until) -> str:
    if valid_from and valid_until:
        return f"ouvert du {valid_from:%d/%m/%Y} au {valid_until:%d/%m/%Y}"
    if valid_until:
        return f"ouvert jusqu'au {valid_until:%d/%m/%Y}"
    if valid_from:
        return f"ouvert depuis le {valid_from:%d/%m/%Y}"
    return "période d'ouverture non précisée"


def text_conditions(conditions) -> tuple[str, ...]:
    """The scheme's conditions written in words (« conditions d'éligibilité »), to check by hand."""
    lines = []
    for key, values in (conditions or {}).items():
        label = TEXT_CONDITION_LABELS.get(key, key[:1].upper() + key[1:])
        for value in values or ():
            lines.append(f"{label} : {' '.join(str(value).split())}")
    return tuple(lines)
