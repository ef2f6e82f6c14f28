"""Which SIRENE establishment an installation is: a pure engine (no Django), fed by `services.links_refresh`.

1. The installation's declared SIRET (Géorisques ICPE table for its code AIOT, or IREP) is in the registry:
   a sure link, score 1.
2. Else, among the establishments of its SIREN (EUTL `CompanyRegistrationNo`, or the SIRET's first 9 digits):
   a place score (same commune 0.6, same postcode 0.5, same département 0.2) plus a name score (0.4 × the
   word similarity between the installation's names and the establishment's names), less 0.2 for a closed
   establishment. One candidate at the installation's commune or postcode, ahead of the next by
   `SURE_MARGIN`, is a sure link; otherwise the candidates above `MIN_SCORE` wait for a person (review list).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

MIN_SCORE = 0.3
SURE_PLACE = 0.5
SURE_MARGIN = 0.2
MAX_PROPOSALS = 5
# Words that say nothing about which establishment it is.
STOP_WORDS = frozenset(
    "sa sas sasu sarl snc sca eurl ste societe france francaise site usine etablissement de du des la le les l d et en".split()
)


@dataclass(frozen=True)
class Site:
    siret: str
    siren: str
    commune_code: str
    postcode: str
    departement: str
    names: tuple[str, ...]


@dataclass(frozen=True)
class Candidate:
    siret: str
    commune_code: str
    postcode: str
    departement: str
    names: tuple[str, ...]
    active: bool


@dataclass(frozen=True)
class Proposal:
    siret: str
    method: str  # "siret" or "siren_place_name"
    score: float
    sure: bool
    reason: str  # French


def words(text: str) -> frozenset[str]:
    text = unicodedata.normalize("NFKD", text or "").encode("ascii", "ignore").decode().lower()
    return frozenset(w for w in re.split(r"[^a-z0-9]+", text) if len(w) > 1 and w not in STOP_WORDS)


def name_similarity(a_names: tuple[str, ...], b_names: tuple[str, ...]) -> float:
    """Best Jaccard similarity of significant words between any name of each side (0 to 1)."""
    best = 0.0
    for a in a_names:
        wa = words(a)
        for b in b_names:
            wb = words(b)
            if wa and wb:
                best = max(best, len(wa & wb) / len(wa | wb))
    return best


def propose(
    site: Site, by_siret: dict[str, Candidate], of_siren: list[Candidate], rejected=frozenset()
) -> list[Proposal]:
    """The proposals for one installation, best first (`rejected`: SIRETs a person refused for it)."""
    if site.siret and site.siret in by_siret and site.siret not in rejected:
        return [Proposal(site.siret, "siret", 1.0, True, "SIRET déclaré présent au répertoire")]
    scored = []
    for c in of_siren:
        if c.siret in rejected:
            continue
        if site.commune_code and c.commune_code == site.commune_code:
            place, where = 0.6, "même commune"
        elif site.postcode and c.postcode == site.postcode:
            place, where = 0.5, "même code postal"
        elif site.departement and c.departement == site.departement:
            place, where = 0.2, "même département"
        else:
            place, where = 0.0, "autre département"
        similarity = name_similarity(site.names, c.names)
        score = place + 0.4 * similarity - (0 if c.active else 0.2)
        reason = f"même SIREN, {where}, noms semblables à {round(similarity * 100)} %" + (
            "" if c.active else ", établissement fermé"
        )
        if score >= MIN_SCORE:
            scored.append((round(score, 3), place, c.siret, reason))
    scored.sort(key=lambda s: (-s[0], s[2]))
    if not scored:
        return []
    best = scored[0]
    runner_up = scored[1][0] if len(scored) > 1 else 0.0
    sure = best[1] >= SURE_PLACE and best[0] - runner_up >= SURE_MARGIN - 1e-9
    if sure:
        return [Proposal(best[2], "siren_place_name", best[0], True, best[3])]
    return [Proposal(s[2], "siren_place_name", s[0], False, s[3]) for s in scored[:MAX_PROPOSALS]]
