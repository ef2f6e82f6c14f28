"""Benchmark: quality of the proposed ROME ↔ FAP 2021 crosswalk on the hand-checked pairs, engine vs naive.

The hand-checked pairs are `tests/skills/rome_fap_checked_pairs.csv` (ROME codes of industry jobs with their
FAP 2021 family, FAP228 level, fixed by hand from both nomenclatures). Both methods run on the real files of
../shared/data/real (ROME v4.60, 1,584 codes and 13,120 job titles; FAP 2021 nomenclature; for the engine also
the ROME professional domains and the Formacodes derived from Certif Info):
- `engine`: `tandem.skills.crosswalk.propose_rome_fap` (normalised French TF-IDF, levels, domain prior);
- `naive`: exact word overlap of the ROME label with the FAP labels (lower case, accents and stop words off,
  nothing else), the family with most shared words first, ties in nomenclature order.
Figures: precision@1 and @3 at the FAP228 level (and @1 at the FAP86 level), coverage = share of all ROME
codes with a proposal at or above the confidence threshold (naive: at least one shared word), the engine's
precision on the checked pairs above / below that threshold, and runtimes (reading, proposing).
Run: .venv/bin/python bench/crosswalk_quality.py — no database; the last line is JSON.
"""

import csv
import json
import os
import re
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
SHARED = Path(os.environ.get("TANDEM_SHARED", REPO.parent / "shared")) / "data" / "real"
CHECKED = REPO / "tests" / "skills" / "rome_fap_checked_pairs.csv"
# Checked by hand once the engine's weights were frozen, never used to set them: jobs outside industry.
HELD_OUT = REPO / "tests" / "skills" / "rome_fap_checked_pairs_other_domains.csv"

from tandem.skills.crosswalk import (  # noqa: E402
    derive_formacode_rome,
    precision_at,
    propose_rome_fap,
    read_fap,
    read_formacode_rome,
    read_rome,
    read_rome_domains,
)
from tandem.skills.crosswalk.text import STOP_WORDS, fold  # noqa: E402


def naive_ranking(label: str, families: list[tuple[str, set[str]]]) -> list[str]:
    words = {w for w in re.findall(r"[a-z0-9]+", fold(label)) if w not in STOP_WORDS}
    scored = [(len(words & family_words), i, code) for i, (code, family_words) in enumerate(families)]
    return [code for overlap, _, code in sorted(scored, key=lambda s: (-s[0], s[1])) if overlap > 0]


def naive_precision(rankings: dict[str, list[str]], checked: dict[str, str], k: int, width: int = 5) -> float:
    hits = 0
    for code, expected in checked.items():
        seen = []
        for family in rankings.get(code, []):
            if family[:width] not in seen:
                seen.append(family[:width])
        hits += expected[:width] in seen[:k]
    return hits / len(checked)


def read_pairs(path: Path) -> dict[str, str]:
    with path.open(encoding="utf-8", newline="") as handle:
        return {row["code_rome"]: row["code_fap228"] for row in csv.DictReader(handle)}


def main() -> None:
    checked, held_out = read_pairs(CHECKED), read_pairs(HELD_OUT)

    started = time.perf_counter()
    rome = read_rome(
        SHARED / "economy/rome/unix_referentiel_code_rome_v460_utf8.csv",
        SHARED / "economy/rome/unix_referentiel_appellation_v460_utf8.csv",
    )
    fap = read_fap(SHARED / "economy/bmo_2024/nomenclature_fap2021.csv")
    domains = read_rome_domains(SHARED / "skills/certifinfo_rome/domaine_professionnel.csv")
    formacodes = derive_formacode_rome(
        read_formacode_rome(SHARED / "skills/certifinfo_rome/formacode_rome_via_certifinfo.csv"), rome
    )
    read_s = time.perf_counter() - started

    started = time.perf_counter()
    crosswalk = propose_rome_fap(rome, fap, domains=domains, formacodes=formacodes)
    engine_s = time.perf_counter() - started

    started = time.perf_counter()
    labels: dict[str, set[str]] = {}
    for post in fap:
        text = " ".join((post.label341, post.label228))
        labels.setdefault(post.code228, set()).update(re.findall(r"[a-z0-9]+", fold(text)))
    families = [(code, words - STOP_WORDS) for code, words in labels.items()]
    naive = {code: naive_ranking(job.label, families) for code, job in rome.items()}
    naive_s = time.perf_counter() - started

    above = {c: f for c, f in checked.items() if crosswalk.get(c).confidence >= crosswalk.threshold}
    below = {c: f for c, f in checked.items() if c not in above}
    for code, expected in (checked | held_out).items():
        proposal = crosswalk.get(code)
        mark = "ok" if proposal.best.code_fap228 == expected else "--"
        print(
            f"{mark} {code} {proposal.label_rome[:45]:45} -> {proposal.best.code_fap228} "
            f"({proposal.confidence:.2f}) expected {expected}; naive {(naive[code] or ['-'])[0]}"
        )
    figures = {
        "checked_pairs": len(checked),
        "rome_codes": len(rome),
        "fap228_families": len({p.code228 for p in fap}),
        "engine": {
            "precision_at_1": round(precision_at(crosswalk, checked, 1), 3),
            "precision_at_3": round(precision_at(crosswalk, checked, 3), 3),
            "precision_at_1_fap86": round(precision_at(crosswalk, checked, 1, level=86), 3),
            "threshold": crosswalk.threshold,
            "coverage": round(crosswalk.coverage(), 3),
            "checked_above_threshold": len(above),
            "precision_at_1_above_threshold": round(precision_at(crosswalk, above, 1), 3) if above else None,
            "precision_at_1_below_threshold": round(precision_at(crosswalk, below, 1), 3) if below else None,
            "read_s": round(read_s, 2),
            "propose_s": round(engine_s, 2),
        },
        "held_out_other_domains": {
            "checked_pairs": len(held_out),
            "engine_precision_at_1": round(precision_at(crosswalk, held_out, 1), 3),
            "engine_precision_at_3": round(precision_at(crosswalk, held_out, 3), 3),
            "naive_precision_at_1": round(naive_precision(naive, held_out, 1), 3),
            "naive_precision_at_3": round(naive_precision(naive, held_out, 3), 3),
        },
        "naive": {
            "precision_at_1": round(naive_precision(naive, checked, 1), 3),
            "precision_at_3": round(naive_precision(naive, checked, 3), 3),
            "precision_at_1_fap86": round(naive_precision(naive, checked, 1, width=3), 3),
            "coverage": round(sum(bool(r) for r in naive.values()) / len(naive), 3),
            "propose_s": round(naive_s, 2),
        },
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
