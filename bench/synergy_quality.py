"""Quality of the synergy suggestions on documented exchanges (internal evaluation only, licence unverified).

Each case of ../shared/data/real/eit/cases_licence_unverified is given to `synergy_suggest` as an ACTORS.csv
(id;name;activity;naf — the actors WITHOUT their links); its ranked suggestions become a ranking of ordered
supplier → receiver pairs (first appearance), compared with the case's true pairs:
- recall@k, k = 3 × R (R = number of true pairs of the case);
- R-precision (precision at R — equal to recall and F1 at that cut-off, so comparable with an F1);
- MAP (mean over cases of the average precision; true pairs never suggested count as precision 0).
Cases:
- MAESTRI: one case per `case_id`; an actor is (name, business text, NACE), "ND" names falling back to the
  business text; activity = the business text ("Steelworks", "Urban entity"…), naf = the NACE given.
- ISDATA: rows are single exchanges with no case, names or business text; in file order they are cut into
  parks of 8 exchanges (the median MAESTRI case), whose actors are the distinct NACE codes (activity = the
  official French NAF label of the code, naf = the code).
Systems:
- `tandem`: the engine as shipped (knowledge tables, no precedents);
- `tandem_cross_precedents`: plus precedents counted on the OTHER source only (MAESTRI exchanges when
  evaluating ISDATA and vice versa), never on the cases evaluated;
- `naive`: same NACE division or same EWC chapter (the chapter whose heading names the actor's activity),
  ties in file order.
Nothing in the engine was fitted on these cases. Figures: pooled = mean over all cases of both sources.
Run: .venv/bin/python bench/synergy_quality.py — the last line is JSON.
"""

import csv
import io
import json
import os
import re
import sys
import tempfile
import time
from collections import defaultdict
from contextlib import redirect_stdout
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
SHARED = Path(os.environ.get("TANDEM_SHARED", REPO.parent / "shared")) / "data"
EIT = SHARED / "real/eit"
CASES = EIT / "cases_licence_unverified"
MISSING = {"", "ND", "NA", "N/A", "NAN"}
ISDATA_PARK_EXCHANGES = 8  # the median MAESTRI case has 8 exchanges


def first_nace(value: str) -> str:
    value = (value or "").strip()
    if value.upper() in MISSING:
        return ""
    token = re.split(r"[/;,]", value)[0].strip()
    digits = re.sub(r"[^0-9]", "", token)
    if len(digits) < 2:
        return ""
    return digits[:2] + ("." + digits[2:4] if len(digits) > 2 else "")


def maestri_cases():
    cases = defaultdict(lambda: {"actors": {}, "pairs": set(), "rows": []})
    with (CASES / "maestri_exchanges.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            case = cases[row["case_id"]]
            ids = []
            for side in ("donor", "receiver"):
                name = row[f"{side}_name"].strip()
                business = row[f"{side}_business"].strip()
                nace = first_nace(row[f"{side}_nace"])
                if business.upper() in MISSING and name.upper() in MISSING:
                    ids.append(None)
                    continue
                key = ((name.lower() if name.upper() not in MISSING else ""), business.lower(), nace)
                if key not in case["actors"]:
                    case["actors"][key] = {
                        "id": f"A{len(case['actors']) + 1}",
                        "name": name if name.upper() not in MISSING else business,
                        "activity": business if business.upper() not in MISSING else name,
                        "naf": nace,
                    }
                ids.append(case["actors"][key]["id"])
            if None not in ids and ids[0] != ids[1]:
                case["pairs"].add(tuple(ids))
                case["rows"].append(
                    (first_nace(row["donor_nace"]), first_nace(row["receiver_nace"]), row["ewc_code"])
                )
    return {f"maestri-{k}": v for k, v in cases.items() if v["pairs"]}


def isdata_parks(naf_labels, size=ISDATA_PARK_EXCHANGES):
    """ISDATA rows in file order, cut into parks of `size` exchanges (its rows have no case structure)."""
    rows = []
    with (CASES / "isdata_exchanges.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            donor, receiver = first_nace(row["producer_nace"]), first_nace(row["receiver_nace"])
            if donor and receiver and donor != receiver:
                ewc = re.sub(r"[^0-9]", "", (row["byproduct_ewc"] or "").split(",")[0].split(";")[0])
                rows.append((donor, receiver, ewc))
    parks = {}
    for start in range(0, len(rows), size):
        park = {"actors": {}, "pairs": set(), "rows": rows[start : start + size]}
        for donor, receiver, _ in park["rows"]:
            ids = []
            for nace in (donor, receiver):
                if nace not in park["actors"]:
                    label = naf_labels.get(nace) or naf_labels.get(nace[:2], nace)
                    park["actors"][nace] = {
                        "id": f"N{len(park['actors']) + 1}",
                        "name": nace,
                        "activity": label,
                        "naf": nace,
                    }
                ids.append(park["actors"][nace]["id"])
            park["pairs"].add(tuple(ids))
        parks[f"isdata-{start // size + 1}"] = park
    return parks


def precedents_from(cases):
    from tandem.eit.engine import Precedents

    pairs, chapters = defaultdict(int), defaultdict(int)
    for case in cases.values():
        for donor, receiver, ewc in case["rows"]:
            d, r = donor[:2], receiver[:2]
            if d and r:
                pairs[(d, r)] += 1
            ewc = re.sub(r"[^0-9]", "", ewc or "")
            if d and len(ewc) >= 2:
                chapters[(d, ewc[:2])] += 1
    return Precedents(dict(pairs), dict(chapters))


def write_actors(case, directory: Path) -> Path:
    path = directory / "actors.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(["id", "name", "activity", "naf"])
        for actor in case["actors"].values():
            writer.writerow([actor["id"], actor["name"], actor["activity"], actor["naf"]])
    return path


def run_command(path: Path, precedents_path: Path | None) -> list[tuple[str, str]]:
    from django.core.management import call_command

    out = io.StringIO()
    args = [str(path), "--format", "json", "--reference", str(EIT)]
    if precedents_path:
        args += ["--precedents", str(precedents_path)]
    with redirect_stdout(out):
        call_command("synergy_suggest", *args, stdout=out)
    ranking, seen = [], set()
    for item in json.loads(out.getvalue()):
        pair = (item["supplier"], item["receiver"])
        if pair not in seen:
            seen.add(pair)
            ranking.append(pair)
    return ranking


def naive_ranking(case):
    from tandem.eit.engine import knowledge

    def chapters(nace):
        return {token[:2] for token in knowledge.profile(knowledge.EMITS, nace) if token.isdigit()}

    actors = list(case["actors"].values())
    scored = []
    for i, a in enumerate(actors):
        for j, b in enumerate(actors):
            if i == j:
                continue
            same_division = bool(a["naf"]) and a["naf"][:2] == b["naf"][:2]
            same_chapter = bool(chapters(a["naf"]) & chapters(b["naf"]))
            score = int(same_division) + int(same_chapter)
            if score:
                scored.append((-score, i, j, (a["id"], b["id"])))
    return [pair for *_, pair in sorted(scored)]


def metrics(ranking, truth):
    r = len(truth)
    k = 3 * r
    hits, ap = 0, 0.0
    for rank, pair in enumerate(ranking, start=1):
        if pair in truth:
            hits += 1
            ap += hits / rank
    top_k = sum(1 for pair in ranking[:k] if pair in truth)
    top_r = sum(1 for pair in ranking[:r] if pair in truth)
    return {"recall_at_k": top_k / r, "r_precision": top_r / r, "ap": ap / r}


def mean(rows, key):
    return round(sum(row[key] for row in rows) / len(rows), 3) if rows else None


def summary(per_case):
    out = {}
    groups = {"pooled": list(per_case.values())}
    for name, row in per_case.items():
        groups.setdefault(name.split("-")[0], []).append(row)
    for group, rows in groups.items():
        out[group] = {
            "cases": len(rows),
            "true_pairs": sum(row["r"] for row in rows),
            "recall_at_k": mean(rows, "recall_at_k"),
            "r_precision": mean(rows, "r_precision"),
            "map": mean(rows, "ap"),
        }
    return out


def main():
    import django

    django.setup()
    with (EIT / "naf_rev2_sous_classes_fr.csv").open(encoding="utf-8") as handle:
        naf_labels = {}
        for row in csv.DictReader(handle):
            naf_labels.setdefault(row["code_classe"], row["libelle_classe"])
            naf_labels.setdefault(row["code_division"], row["libelle_division"])
    maestri = maestri_cases()
    isdata = isdata_parks(naf_labels)
    cases = {**maestri, **isdata}
    results = {"tandem": {}, "tandem_cross_precedents": {}, "naive": {}}
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        precedent_files = {}
        for source, other in (("maestri", isdata), ("isdata", maestri)):
            prec = precedents_from(other)
            path = tmp / f"precedents-{source}.csv"
            with path.open("w", encoding="utf-8", newline="") as handle:
                writer = csv.writer(handle)
                writer.writerow(
                    ["donor_nace_division", "receiver_nace_division", "ewc_chapter", "n_exchanges"]
                )
                for (d, r), n in sorted(prec.pairs.items()):
                    writer.writerow([d, r, "", n])
                for (d, c), n in sorted(prec.chapters.items()):
                    writer.writerow([d, "", c, n])
            precedent_files[source] = path
        for name, case in cases.items():
            path = write_actors(case, tmp)
            truth = case["pairs"]
            for system, precedents in (
                ("tandem", None),
                ("tandem_cross_precedents", precedent_files[name.split("-")[0]]),
            ):
                row = metrics(run_command(path, precedents), truth)
                row["r"] = len(truth)
                results[system][name] = row
            row = metrics(naive_ranking(case), truth)
            row["r"] = len(truth)
            results["naive"][name] = row
    figures = {system: summary(per_case) for system, per_case in results.items()}
    for system, groups in figures.items():
        for group, values in groups.items():
            print(
                f"{system:26} {group:8} cases={values['cases']:3} R={values['true_pairs']:4} "
                f"recall@3R={values['recall_at_k']:.3f} R-prec={values['r_precision']:.3f} MAP={values['map']:.3f}"
            )
    figures["seconds"] = round(time.perf_counter() - started, 1)
    print(json.dumps(figures, sort_keys=True))


if __name__ == "__main__":
    main()
