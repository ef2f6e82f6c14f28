"""A job typed on a hiring need — a ROME code (H2913), a FAP 2021 code (D0X31) or a free job title
(« soudeur », « Conducteur de ligne de production ») — resolved to a ROME code through the ROME job titles
(appellations, `RomeTitle`, imported by `skills.importers.rome_import`). The one home of that rule: company
projects (`companies.followup.project_create`), the Parcours' skills step and prospects (`prospects.services`)
call `job_resolve`; the form's suggestion list reads `job_suggestions`.

The rule (docs/skills.md « Métier saisi en clair »):
1. a code is taken as it is (a ROME code, or a FAP 2021 code of the BMO survey);
2. a suggestion picked in the form (« Soudeur / Soudeuse à la flamme — H2913 Soudeur / Soudeuse ») gives its code;
3. otherwise the title is compared, accents and case ignored (`tandem_unaccent`, core/search), with each form of
   every appellation (« Technicien / Technicienne de maintenance industrielle » has the forms « technicien de
   maintenance industrielle » and « technicienne de maintenance industrielle »): an equal form wins (confidence
   1); else the appellation whose form holds the typed words as they are, then the best confidence — the mean of
   the share of typed words found in the form and of their trigram similarity (pg_trgm `similarity`) — is
   proposed, when its confidence reaches `CONFIDENCE_MIN`;
4. a title with no proposal stays recorded as typed, « métier non rattaché », and still counts in the gaps.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.db import connection
from django.db.models import F, FloatField, Func, Value

from tandem.skills.crosswalk.sources import ROME_CODE
from tandem.skills.crosswalk.text import fold
from tandem.skills.models import RomeCode, RomeTitle

FAP_CODE = re.compile(r"^[A-Z][0-9A-Z]{2}\d{2}$")  # the BMO survey's job code (prospects.labour.JOB_CODE)
PICKED = re.compile(
    r"\s—\s*([A-Z][0-9A-Z]{2}\d{2})\b"
)  # « Soudeur / Soudeuse à la flamme — H2913 Soudeur / Soudeuse »
CONFIDENCE_MIN = 0.45  # below it the nearest appellation is not proposed: the title stays « non rattaché »
UNRESOLVED_LABEL = "métier non rattaché"


@dataclass(frozen=True)
class JobMatch:
    code: str  # ROME (or FAP 2021 when typed as such); "" when not resolved
    title: str  # the appellation (or the text as typed when not resolved)
    rome_label: str = ""
    confidence: float | None = None  # 1 for a code or an equal appellation; trigram similarity otherwise
    exact: bool = False

    @property
    def resolved(self) -> bool:
        return bool(self.code)

    @property
    def display(self) -> str:
        """« Technicien / Technicienne de maintenance industrielle — I1304 Installation et maintenance
        d'équipements industriels et d'exploitation », « Soudeur / Soudeuse — H2913 » (the appellation is the
        ROME label), or the title typed with « (métier non rattaché) »."""
        if not self.code:
            return f"{self.title} ({UNRESOLVED_LABEL})"
        if self.title and self.title != self.code:
            label = "" if self.rome_label == self.title else self.rome_label  # « Soudeur / Soudeuse — H2913 »
            return f"{self.title} — {self.code} {label}".strip()
        return f"{self.code} {self.rome_label}".strip()


def title_forms(label: str) -> list[str]:
    """The gendered forms of an appellation, folded: « Technicien / Technicienne de maintenance » → the
    masculine « technicien de maintenance » and the feminine « technicienne de maintenance »; « Soudeur marin /
    Soudeuse marine » → « soudeur marin », « soudeuse marine ». A label without « / » is its own form."""
    text = " ".join(fold(label).split())
    if " / " not in text:
        return [text]
    left, right = text.split(" / ", 1)
    left_words, right_words = left.split(), right.split()
    rest = right_words[len(left_words) :]
    masculine = " ".join(left_words + rest)
    return list(dict.fromkeys([masculine, right, text]))


def _similarities(query: str, forms: list[str]) -> list[float]:
    """pg_trgm similarity of `query` to each form (accents and case ignored), in one query."""
    if not forms:
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT similarity(tandem_unaccent(%s), tandem_unaccent(f)) FROM unnest(%s::text[]) "
            "WITH ORDINALITY AS t(f, n) ORDER BY n",
            [query, forms],
        )
        return [row[0] for row in cursor.fetchall()]


def job_suggestions(text: str, *, limit: int = 8) -> list[JobMatch]:
    """The appellations nearest to a typed title, best first: an equal form first (confidence 1), then by
    trigram similarity of the nearest form. Empty for an empty or too short text."""
    query = " ".join(fold(text).split())
    if len(query) < 3:
        return []
    # Candidates: appellations whose folded label contains the first word (trigram index on tandem_unaccent),
    # and the nearest by word similarity over the whole referential (13,120 rows).
    first = query.split()[0]
    contains = list(
        RomeTitle.objects.filter(label__unaccent_icontains=first).values_list("code_ogr", "label", "rome_id")[
            :400
        ]
    )
    near = list(
        RomeTitle.objects.annotate(
            ws=Func(
                Value(query),
                Func(F("label"), function="tandem_unaccent"),
                function="word_similarity",
                output_field=FloatField(),
            )
        )
        .filter(ws__gte=0.3)
        .order_by("-ws", "label")
        .values_list("code_ogr", "label", "rome_id")[:60]
    )
    candidates = {ogr: (label, rome) for ogr, label, rome in [*contains, *near]}
    forms: list[tuple[str, str]] = [
        (ogr, f) for ogr, (label, _) in candidates.items() for f in title_forms(label)
    ]
    scores = _similarities(query, [f for _, f in forms])
    words = set(query.split())
    best: dict[str, tuple] = {}
    for (ogr, form), score in zip(forms, scores, strict=True):
        exact = form == query
        # Rank: an equal form, then a form holding the typed words as they are, then the confidence: the mean of
        # the share of typed words found in the form and of the trigram similarity.
        coverage = len(words & set(form.split())) / len(words)
        key = (exact, f" {query} " in f" {form} ", 1.0 if exact else (coverage + float(score)) / 2)
        if ogr not in best or key > best[ogr]:
            best[ogr] = key
    ranked = sorted(
        best.items(), key=lambda kv: (tuple(-float(k) for k in kv[1]), len(candidates[kv[0]][0]), kv[0])
    )
    labels = dict(
        RomeCode.objects.filter(code__in={candidates[o][1] for o, _ in ranked[:limit]}).values_list(
            "code", "label"
        )
    )
    return [
        JobMatch(
            candidates[ogr][1],
            candidates[ogr][0],
            labels.get(candidates[ogr][1], ""),
            round(key[2], 3),
            key[0],
        )
        for ogr, key in ranked[:limit]
    ]


def job_resolve(text: str) -> JobMatch:
    """A typed job as a ROME code (see the module's rule). Never raises: an unknown title comes back
    unresolved (`code` empty) with the text as typed."""
    typed = " ".join((text or "").split())
    upper = typed.upper()
    if FAP_CODE.match(upper):
        label = ""
        if ROME_CODE.match(upper):
            label = RomeCode.objects.filter(code=upper).values_list("label", flat=True).first() or ""
        return JobMatch(upper, upper, label, 1.0, True)
    picked = PICKED.search(typed)
    if picked:
        code = picked.group(1)
        title = typed[: picked.start()].strip()
        label = RomeCode.objects.filter(code=code).values_list("label", flat=True).first() or ""
        return JobMatch(code, title or code, label, 1.0, True)
    if not typed:
        return JobMatch("", "")
    found = job_suggestions(typed, limit=1)
    if found and (found[0].exact or (found[0].confidence or 0) >= CONFIDENCE_MIN):
        return found[0]
    return JobMatch("", typed[:250])


def job_display(code: str, title: str = "") -> str:
    """How a recorded need's job reads: « Soudeur / Soudeuse à la flamme — H2913 Soudeur / Soudeuse »,
    « H2913 Soudeur / Soudeuse », or « soudeur tig (métier non rattaché) »."""
    label = ""
    if code and ROME_CODE.match(code):
        label = RomeCode.objects.filter(code=code).values_list("label", flat=True).first() or ""
    return JobMatch(code, title or code, label).display


__all__ = ["CONFIDENCE_MIN", "UNRESOLVED_LABEL", "JobMatch", "job_display", "job_resolve", "job_suggestions"]
