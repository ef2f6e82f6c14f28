"""Eligibility of a company for a scheme: the verdict, each criterion met / not met / cannot be checked, and the
questions to ask. Pure Python, no Django.

The verdict is the value of the programme's rule `entreprise . est ciblée`, evaluated by the publicodes subset
evaluator (proven equal to the reference engine): `oui` → eligible, `non` or non applicable → not eligible,
undefined → cannot be checked yet. A headcount known only as an INSEE band is evaluated at both ends of the
band: when both ends agree the answer stands, otherwise the headcount criterion cannot be checked.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from . import wording
from .profile import HEADCOUNT, CompanyProfile, company_situation, programme_situation
from .publicodes import UNDEFINED, Const, Evaluation, Op, Ref
from .tee import ROOT_RULE, Programme
from .wording import ELIGIBLE, FAILED, INVALID, MET, NOT_ELIGIBLE, UNDETERMINED, UNKNOWN

OPEN_BAND_CEILING = 10**9  # the « 10 000 salariés et plus » band, evaluated up to this


@dataclass(frozen=True)
class Criterion:
    rule: str  # the publicodes rule (or wording.VALIDITY)
    label: str  # French: which criterion
    requirement: str  # French: what it asks
    status: str  # MET / FAILED / UNKNOWN
    questions: tuple[str, ...] = ()  # French: what to ask when UNKNOWN

    @property
    def status_label(self) -> str:
        return wording.CRITERION_STATUS_LABELS[self.status]

    @property
    def sentence(self) -> str:
        return f"{self.label} ({self.requirement}) : {self.status_label}"


@dataclass(frozen=True)
class Eligibility:
    programme_id: str
    title: str
    status: str  # ELIGIBLE / NOT_ELIGIBLE / UNDETERMINED / INVALID
    criteria: tuple[Criterion, ...] = ()
    questions: tuple[str, ...] = ()  # French, when UNDETERMINED
    to_check: tuple[str, ...] = ()  # the conditions written in words, to check with the operator
    error: str = ""  # why the rules cannot be used (INVALID)

    @property
    def status_label(self) -> str:
        return wording.STATUS_LABELS[self.status]

    def criteria_with(self, status: str) -> tuple[Criterion, ...]:
        return tuple(c for c in self.criteria if c.status == status)


def _verdict(value) -> str:
    if value is UNDEFINED:
        return UNDETERMINED
    return ELIGIBLE if value is True else NOT_ELIGIBLE


def _criterion_status(value) -> str:
    if value is UNDEFINED:
        return UNKNOWN
    return MET if value is not None and value is not False else FAILED


def _merge(evaluations: list[Evaluation]) -> Evaluation:
    """Evaluations of the same rule at both ends of a headcount band."""
    first = evaluations[0]
    if all(e.value == first.value and type(e.value) is type(first.value) for e in evaluations):
        return Evaluation(first.value, frozenset().union(*(e.missing for e in evaluations)))
    return Evaluation(UNDEFINED, frozenset({HEADCOUNT}))


def _is_aggregate(node, own: set[str]) -> bool:
    """A formula that only combines the programme's other rules (e.g. « est éligible »): not a criterion."""
    if isinstance(node, Op) and node.kind in ("et", "ou"):
        return _is_aggregate(node.left, own) and _is_aggregate(node.right, own)
    if isinstance(node, Const):
        return isinstance(node.value, bool)
    return isinstance(node, Ref) and node.dotted in own


def _references_dates(ruleset, node) -> bool:
    return any(name.startswith("dispositif . ") for name in ruleset.references(node))


def evaluate_programme(programme: Programme, profile: CompanyProfile, *, today: dt.date) -> Eligibility:
    """Is the company of `profile` eligible to `programme` on `today`, and why."""
    to_check = wording.text_conditions(programme.text_conditions)
    if programme.rules_error:
        return Eligibility(
            programme.id, programme.title, INVALID, to_check=to_check, error=programme.rules_error
        )
    ruleset = programme.ruleset
    scheme_facts = programme_situation(
        valid_from=programme.valid_from, valid_until=programme.valid_until, today=today
    )
    bounds = profile.headcount_bounds()
    if bounds and bounds[0] != bounds[1]:
        headcounts = [bounds[0], bounds[1] if bounds[1] is not None else OPEN_BAND_CEILING]
    else:
        headcounts = [bounds[0] if bounds else None]
    evaluators = [
        ruleset.evaluator({**company_situation(profile, headcount=headcount), **scheme_facts})
        for headcount in headcounts
    ]

    def evaluate(rule=None, node=None) -> Evaluation:
        return _merge([e.evaluate(rule) if rule else e.evaluate_node(node) for e in evaluators])

    own = set(programme.own_rule_names)
    criteria = []
    for name in programme.own_rule_names:
        rule = ruleset.rules[name]
        for _key, condition in rule.applicability:
            result = evaluate(node=condition)
            if _references_dates(ruleset, condition):
                label = wording.criterion_label(wording.VALIDITY)
                requirement = wording.validity_text(programme.valid_from, programme.valid_until)
            else:
                label, requirement = wording.criterion_label(name), wording.describe(condition)
            criteria.append(_criterion(name, label, requirement, result))
        if name == ROOT_RULE or _is_aggregate(rule.value_node, own):
            continue
        result = evaluate(rule=name)
        # A rule may say in words what it asks (`description`, e.g. « hors codes NAF 35, 41 »).
        requirement = (rule.raw.get("description") or "").strip() or wording.describe(rule.value_node)
        criteria.append(_criterion(name, wording.criterion_label(name), requirement, result))

    verdict = _verdict(evaluate(rule=ROOT_RULE).value)
    questions = ()
    if verdict == UNDETERMINED:
        questions = tuple(dict.fromkeys(q for c in criteria for q in c.questions))
    return Eligibility(programme.id, programme.title, verdict, tuple(criteria), questions, to_check)


def _criterion(rule: str, label: str, requirement: str, result: Evaluation) -> Criterion:
    status = _criterion_status(result.value)
    questions = wording.questions_for(result.missing) if status == UNKNOWN else ()
    return Criterion(rule, label, requirement, status, questions)


def evaluate_catalogue(programmes, profile: CompanyProfile, *, today: dt.date) -> list[Eligibility]:
    """Every scheme for one company: eligible first, then to confirm, then not eligible, then unusable rules."""
    order = {ELIGIBLE: 0, UNDETERMINED: 1, NOT_ELIGIBLE: 2, INVALID: 3}
    results = [evaluate_programme(p, profile, today=today) for p in programmes]
    return sorted(results, key=lambda r: (order[r.status], r.title))
