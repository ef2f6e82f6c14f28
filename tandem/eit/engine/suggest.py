"""Suggestions for a list of establishments known only by their activity (the `synergy_suggest` command and
the quality benchmark): each actor's activity gives estimated offers and needs, then `detect` ranks them."""

from __future__ import annotations

import csv
import math
from dataclasses import replace
from pathlib import Path

from tandem.core.problems import Report
from tandem.eit.engine.activity import LabelIndex, estimated_flows, resolve_activity
from tandem.eit.engine.detect import Detection, Precedents, detect
from tandem.eit.engine.model import Actor
from tandem.eit.engine.params import Parameters
from tandem.eit.engine.reference import Reference

ACTOR_COLUMNS = ("id", "name", "activity", "naf", "latitude", "longitude")
REQUIRED = ("id", "activity")


def read_actors_csv(path: str | Path) -> list[Actor]:
    """ACTORS.csv (`;`-separated, UTF-8): id;name;activity;naf;latitude;longitude, only id and activity
    required. Every problem is reported at once, naming file, line and field, in French."""
    path = Path(path)
    name = path.name
    report = Report()
    if not path.exists():
        report.error(name, None, None, "fichier introuvable")
        report.raise_if_errors("Fichier des établissements illisible")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        report.error(name, None, None, "encodage invalide : le fichier doit être en UTF-8")
        report.raise_if_errors("Fichier des établissements illisible")
    reader = csv.DictReader(text.splitlines(), delimiter=";")
    columns = [c.strip() for c in (reader.fieldnames or [])]
    for column in REQUIRED:
        if column not in columns:
            report.error(name, 1, column, "colonne obligatoire absente (séparateur attendu : « ; »)")
    unknown = [c for c in columns if c not in ACTOR_COLUMNS]
    for column in unknown:
        report.error(name, 1, column, f"colonne inconnue (colonnes possibles : {', '.join(ACTOR_COLUMNS)})")
    report.raise_if_errors("Fichier des établissements refusé")
    actors, seen = [], {}
    for line, raw in enumerate(reader, start=2):
        row = {(k or "").strip(): (v or "").strip() for k, v in raw.items() if k is not None}
        if None in raw:
            report.error(name, line, None, "trop de valeurs sur la ligne (séparateur attendu : « ; »)")
            continue
        ident = row.get("id", "")
        if not ident:
            report.error(name, line, "id", "identifiant obligatoire")
        elif ident in seen:
            report.error(name, line, "id", f"identifiant déjà utilisé ligne {seen[ident]}", ident)
        else:
            seen[ident] = line
        if not row.get("activity"):
            report.error(
                name, line, "activity", "activité obligatoire (texte libre en français ou en anglais)"
            )
        coords = {}
        for field in ("latitude", "longitude"):
            value = row.get(field, "")
            if not value:
                continue
            try:
                number = float(value.replace(",", "."))
            except ValueError:
                report.error(name, line, field, "nombre décimal attendu", value)
                continue
            bound = 90 if field == "latitude" else 180
            if not math.isfinite(number) or abs(number) > bound:
                report.error(name, line, field, f"valeur hors de [-{bound} ; {bound}]", value)
                continue
            coords[field] = number
        if bool(row.get("latitude")) != bool(row.get("longitude")):
            report.error(
                name,
                line,
                "latitude" if not row.get("latitude") else "longitude",
                "latitude et longitude vont ensemble : renseigner les deux ou aucune",
            )
        naf = row.get("naf", "")
        if naf and not _looks_like_nace(naf):
            report.error(name, line, "naf", "code NAF/NACE attendu (ex. 24.10Z, 2410 ou 24)", naf)
        actors.append(
            Actor(
                id=ident,
                name=row.get("name", ""),
                activity=row.get("activity", ""),
                nace=naf,
                latitude=coords.get("latitude"),
                longitude=coords.get("longitude"),
            )
        )
    if not actors and not report.errors:
        report.error(name, None, None, "aucun établissement dans le fichier")
    report.raise_if_errors("Fichier des établissements refusé")
    return actors


def _looks_like_nace(code: str) -> bool:
    from tandem.eit.engine.activity import normalise_nace

    return normalise_nace(code) is not None


def suggest(
    actors: list[Actor],
    ref: Reference,
    *,
    params: Parameters | None = None,
    precedents: Precedents | None = None,
    labels: LabelIndex | None = None,
) -> Detection:
    """Estimated flows for each actor from its activity, then the detection between them."""
    labels = labels or LabelIndex(ref)
    flows, resolved = [], []
    for actor in actors:
        matches = resolve_activity(actor, labels)
        flows.extend(estimated_flows(actor, matches))
        nace = matches[0].nace if matches else ""
        resolved.append(replace(actor, nace=nace))
    return detect(resolved, flows, ref, params=params, precedents=precedents)


def read_precedents_csv(path: str | Path) -> Precedents:
    """Counts of documented exchanges (comma-separated): donor_nace_division, receiver_nace_division,
    ewc_chapter, n_exchanges — one row per division pair (ewc_chapter empty) or per donor division and EWC
    chapter (receiver empty). The MAESTRI precedent matrices of ../shared have this shape."""
    path = Path(path)
    report = Report()
    pairs: dict[tuple[str, str], int] = {}
    chapters: dict[tuple[str, str], int] = {}
    if not path.exists():
        report.error(path.name, None, None, "fichier introuvable")
        report.raise_if_errors("Fichier des précédents illisible")
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        for column in ("donor_nace_division", "n_exchanges"):
            if column not in (reader.fieldnames or []):
                report.error(path.name, 1, column, "colonne obligatoire absente")
        report.raise_if_errors("Fichier des précédents refusé")
        for line, row in enumerate(reader, start=2):
            try:
                n = int(row["n_exchanges"])
            except (TypeError, ValueError):
                report.error(path.name, line, "n_exchanges", "nombre entier attendu", row.get("n_exchanges"))
                continue
            donor = (row.get("donor_nace_division") or "").strip()
            receiver = (row.get("receiver_nace_division") or "").strip()
            chapter = (row.get("ewc_chapter") or "").strip()
            if receiver and receiver != "NA":
                pairs[(donor, receiver)] = pairs.get((donor, receiver), 0) + n
            elif chapter and chapter != "NA":
                chapters[(donor, chapter)] = chapters.get((donor, chapter), 0) + n
    report.raise_if_errors("Fichier des précédents refusé")
    return Precedents(pairs, chapters)
