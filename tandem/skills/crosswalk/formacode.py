"""Formacode ↔ ROME, derived from Certif Info: a certification's main Formacode paired with each of its ROME
codes (`formacode_rome_via_certifinfo.csv`). It is a co-occurrence, not France Travail's official
correspondence (which is not available here): every link is marked « dérivé (Certif Info) » and carries its
weight — the share of the ROME code's certifications that have that Formacode.

ROME v4 sub-codes newer than Certif Info (H2916 « Soudeur TIG ») take their parent's links, flagged as such.
Codes of the table that are not ROME v4 job codes (domain-level codes such as A1100) are kept apart in
`unknown_rome_codes`. Pure: no Django.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from tandem.skills.crosswalk.sources import SOURCE_DERIVED, FormacodeRome, RomeJob


@dataclass(frozen=True)
class DerivedLink:
    formacode: str
    formacode_label: str
    code_rome: str
    certifications: int  # certifications carrying both codes
    share_of_rome: float  # of the ROME code's certifications (in the table), 0–1: the link's confidence
    share_of_formacode: float  # of the Formacode's certifications (in the table), 0–1
    via_parent: bool = False  # a ROME sub-code reached through its parent code
    source: str = SOURCE_DERIVED


@dataclass
class FormacodeRomeCrosswalk:
    by_rome: dict[str, list[DerivedLink]]
    by_formacode: dict[str, list[DerivedLink]]
    parents: dict[str, str]  # ROME sub-code -> parent code
    unknown_rome_codes: list[str]

    def for_rome(self, code_rome: str) -> list[DerivedLink]:
        """The Formacodes of a ROME code, strongest first; a sub-code without links of its own takes its
        parent's (`via_parent`)."""
        links = self.by_rome.get(code_rome)
        if links:
            return links
        parent = self.parents.get(code_rome)
        if parent and parent != code_rome and parent in self.by_rome:
            return [_as_child(link, code_rome) for link in self.by_rome[parent]]
        return []

    def for_formacode(self, formacode: str) -> list[DerivedLink]:
        """The ROME codes of a Formacode, strongest first."""
        return self.by_formacode.get(formacode, [])

    def coverage(self, codes: list[str]) -> float:
        """Share of the given ROME codes with at least one Formacode (their own or their parent's)."""
        return sum(bool(self.for_rome(c)) for c in codes) / len(codes) if codes else 0.0


def _as_child(link: DerivedLink, code_rome: str) -> DerivedLink:
    return DerivedLink(
        link.formacode,
        link.formacode_label,
        code_rome,
        link.certifications,
        link.share_of_rome,
        link.share_of_formacode,
        via_parent=True,
    )


def derive_formacode_rome(links: list[FormacodeRome], rome: dict[str, RomeJob]) -> FormacodeRomeCrosswalk:
    """The derived crosswalk from the co-occurrence table, checked against the ROME v4 referential."""
    per_rome: dict[str, int] = defaultdict(int)
    per_formacode: dict[str, int] = defaultdict(int)
    known = [link for link in links if link.code_rome in rome]
    for link in known:
        per_rome[link.code_rome] += link.certifications
        per_formacode[link.formacode] += link.certifications
    by_rome: dict[str, list[DerivedLink]] = defaultdict(list)
    by_formacode: dict[str, list[DerivedLink]] = defaultdict(list)
    for link in known:
        derived = DerivedLink(
            link.formacode,
            link.formacode_label,
            link.code_rome,
            link.certifications,
            link.certifications / per_rome[link.code_rome],
            link.certifications / per_formacode[link.formacode],
        )
        by_rome[link.code_rome].append(derived)
        by_formacode[link.formacode].append(derived)
    for group in (*by_rome.values(), *by_formacode.values()):
        group.sort(key=lambda d: (-d.certifications, d.formacode, d.code_rome))
    return FormacodeRomeCrosswalk(
        by_rome=dict(by_rome),
        by_formacode=dict(by_formacode),
        parents={code: job.parent for code, job in rome.items()},
        unknown_rome_codes=sorted({link.code_rome for link in links} - set(rome)),
    )
