"""The one home of the links between subjects (Conseillers-Entreprises' topics), the themes of a company need,
the objectives of TEE programmes and the kinds of operators. Tandem's own choices, editable by the Région in the
catalogue afterwards (the imported operators get these subjects only when they have none yet)."""

from __future__ import annotations

# Need.Topic (companies) → subjects a partner must handle to be proposed for that need.
SUBJECTS_BY_NEED_TOPIC: dict[str, tuple[str, ...]] = {
    "financing": ("financer-projet", "tresorerie", "diagnostic"),
    "land": ("projet-immobilier",),
    "recruitment": ("recruter", "former", "droit-du-travail"),
    "innovation": ("projet-innovation", "nouvelle-offre-produit-service", "vendre-sur-internet"),
    "export": ("international",),
    "environment": ("demarche-ecologie", "energie", "dechets", "eau", "transport-mobilite"),
    "succession": ("reprendre-entreprise", "vendre-entreprise"),
    "other": (),
}

# TEE priority objectives (tandem.catalogue.eligibility.profile.OBJECTIVES keys) → subjects.
SUBJECTS_BY_OBJECTIVE: dict[str, tuple[str, ...]] = {
    "environmental": ("demarche-ecologie",),
    "energy": ("energie",),
    "water": ("eau",),
    "building": ("energie", "projet-immobilier"),
    "mobility": ("transport-mobilite",),
    "waste": ("dechets",),
    "eco-design": ("nouvelle-offre-produit-service", "demarche-ecologie"),
    "rh": ("former", "recruter"),
    "biodiversite": ("demarche-ecologie",),
}

# Need.Topic → TEE objectives a need of that theme states (None: the objective is a question to ask).
OBJECTIVES_BY_NEED_TOPIC: dict[str, frozenset[str] | None] = {
    "recruitment": frozenset({"rh"}),
    "environment": None,
}

# Subjects given to the operators of a kind when the import creates them.
SUBJECTS_BY_OPERATOR: dict[str, tuple[str, ...]] = {
    "opco": ("former", "recruter", "former-risques-professionnels"),
    "ddets": (
        "droit-du-travail",
        "activite-partielle",
        "handicap-entreprise",
        "preparer-le-depart-ou-la-reconversion-de-salaries",
    ),
    "transitions-pro": ("preparer-le-depart-ou-la-reconversion-de-salaries", "former"),
}

# Subjects whose slug does not read as a label once the dashes are spaces.
SUBJECT_LABELS = {
    "agrement-esus": "Agrément ESUS",
    "bilan-rse": "Bilan RSE",
    "dechets": "Déchets",
    "default": "Autre question",
    "demarche-ecologie": "Démarche écologique",
    "energie": "Énergie",
    "formalites-entreprise-statut": "Formalités et statut de l'entreprise",
    "litige": "Litige entre entreprises",
    "nouvelle-offre-produit-service": "Nouvelle offre de produit ou de service",
    "obligations-sante-securite": "Obligations de santé et de sécurité",
    "preparer-le-depart-ou-la-reconversion-de-salaries": "Départ ou reconversion de salariés",
    "projet-immobilier": "Projet immobilier, implantation",
    "proteger-vos-donnees": "Protection des données",
    "qualite-de-vie-au-travail": "Qualité de vie au travail",
    "reduction-impots": "Fiscalité, réduction d'impôts",
    "tresorerie": "Trésorerie",
    "visibilite-sur-internet": "Visibilité sur internet",
    "vendre-sur-internet": "Vente sur internet",
}


def subject_label(slug: str) -> str:
    if slug in SUBJECT_LABELS:
        return SUBJECT_LABELS[slug]
    text = slug.replace("-", " ")
    return text[:1].upper() + text[1:]


def subjects_for_need_topic(topic: str) -> tuple[str, ...]:
    return SUBJECTS_BY_NEED_TOPIC.get(topic, ())


def subjects_for_objectives(objectives) -> set[str]:
    return {s for o in objectives for s in SUBJECTS_BY_OBJECTIVE.get(o, ())}
