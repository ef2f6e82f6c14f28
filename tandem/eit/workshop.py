"""Workshop sheets: one row per flow, as facilitators collect them on paper then in a spreadsheet (CSV or XLSX).

CSV goes through the one reader (`tandem.imports.reader.read_table`); XLSX through openpyxl (first sheet, first
non-empty row as header). Every row is checked before anything is written; each problem names the file, the row
(the line a spreadsheet shows) and the field, in French. A material row without an EWC code is refused with
the codes the engine's text matching suggests from its description (never chosen silently).

Columns (header names are matched accents and case ignored; see docs/eit.md):
siret | nom + commune, sens, nature, code_dechet, ressource, description, quantite, unite, periode,
temperature, qualite_eau, etat, purete, statut, origine, confiance, debut, fin, rubriques_icpe, operations.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from django.db.models import Q

from tandem.companies.models import Establishment
from tandem.core.errors import Report, UserError
from tandem.eit.engine import model as engine
from tandem.eit.models import Flow, WasteCode
from tandem.eit.reference import engine_reference, waste_index
from tandem.imports.limits import ImportLimits, import_limits
from tandem.imports.reader import read_table, xlsx_sheets
from tandem.territories.models import Commune


def fold(text: str) -> str:
    """Lower case, no accents, single spaces: how headers and words of a sheet are compared."""
    text = unicodedata.normalize("NFKD", str(text or "")).encode("ascii", "ignore").decode()
    return re.sub(r"[\s_\-]+", " ", text.strip().lower())


COLUMNS = {
    "siret": ("siret",),
    "name": ("nom", "raison sociale", "etablissement", "entreprise", "denomination"),
    "commune": ("commune", "code commune", "ville"),
    "direction": ("sens", "offre ou besoin", "type"),
    "kind": ("nature", "categorie"),
    "ewc": ("code dechet", "code ced", "ced", "ewc", "code ewc", "nomenclature dechet"),
    "resource": ("ressource",),
    "label": ("description", "libelle", "texte libre", "designation"),
    "quantity": ("quantite",),
    "unit": ("unite",),
    "period": ("periode",),
    "temperature": ("temperature", "temperature c", "temperature (c)"),
    "water_class": ("qualite eau", "qualite de l'eau", "classe eau"),
    "state": ("etat", "etat physique"),
    "purity": ("purete",),
    "legal_status": ("statut", "statut juridique"),
    "origin": ("origine",),
    "confidence": ("confiance",),
    "valid_from": ("debut", "valable du", "date debut"),
    "valid_until": ("fin", "valable jusqu'au", "date fin"),
    "rubriques": ("rubriques icpe", "rubriques"),
    "operations": ("operations", "operations r/d", "operations rd"),
}
DIRECTIONS = {"offre": engine.OFFER, "offer": engine.OFFER, "besoin": engine.NEED, "need": engine.NEED}
KINDS = (
    {fold(label): key for key, label in engine.KINDS.items()}
    | {k: k for k in engine.KINDS}
    | {
        "matiere": engine.MATERIAL,
        "dechet": engine.MATERIAL,
        "sous produit": engine.MATERIAL,
        "energie": engine.ENERGY,
        "service": engine.SERVICE,
        "capacite": engine.CAPACITY,
        "shared service": engine.SERVICE,
        "spare capacity": engine.CAPACITY,
    }
)
RESOURCES = {fold(label): key for key, label in engine.RESOURCES.items()} | {
    fold(k): k for k in engine.RESOURCES
}
UNITS = {fold(u): u for u in engine.UNITS} | {
    "m³": "m3",
    "tonnes": "t",
    "tonne": "t",
    "unites": "u",
    "unite": "u",
}
PERIODS = {"an": "year", "annee": "year", "year": "year", "par an": "year", "mois": "month", "month": "month"}
PERIODS |= {"semaine": "week", "week": "week", "jour": "day", "day": "day"}
STATUSES = {"dechet": engine.WASTE, "waste": engine.WASTE, "sous produit": engine.BY_PRODUCT}
STATUSES |= {"by product": engine.BY_PRODUCT, "sortie du statut de dechet": engine.END_OF_WASTE}
STATUSES |= {"end of waste": engine.END_OF_WASTE}
ORIGINS = {fold(v): k for k, v in engine.ORIGINS.items()} | {k: k for k in engine.ORIGINS}
ORIGINS |= {"atelier": engine.WORKSHOP, "declare": engine.DECLARED, "estime": engine.ESTIMATED}
WATER = {fold(v): k for k, v in engine.WATER_CLASS_LABELS.items()} | {
    fold(k): k for k in engine.WATER_CLASSES
}
STATES = {fold(s): s for s in Flow.State.values}
# A workshop's word is not a declaration: unless the sheet says otherwise, its flows carry this confidence.
WORKSHOP_CONFIDENCE = 0.8


@dataclass
class SheetRow:
    line: int
    establishment: Establishment
    fields: dict
    import_key: str


@dataclass
class Sheet:
    name: str
    rows: list[SheetRow] = field(default_factory=list)
    warnings: list = field(default_factory=list)


def _xlsx_records(path: Path, name: str, limits: ImportLimits) -> tuple[list[str], list[tuple[int, dict]]]:
    rows = next(xlsx_sheets(path, name, limits), [])  # the first sheet
    if not rows:
        raise UserError(f"{name} : feuille vide (aucune ligne d'en-tête)")
    header = rows[0][1]
    return header, [
        (number, dict(zip(header, cells + [""] * (len(header) - len(cells)), strict=False)))
        for number, cells in rows[1:]
    ]


def _records(path: Path, name: str) -> tuple[list[str], list[tuple[int, dict]]]:
    limits = import_limits()
    if path.suffix.lower() in (".xlsx", ".xlsm") or name.lower().endswith((".xlsx", ".xlsm")):
        return _xlsx_records(path, name, limits)
    table = read_table(path, name, limits=limits)
    if table.problems:
        raise UserError(f"{name} : lignes mal formées, rien n'a été importé.", table.problems)
    return table.header, table.records()


def _columns(header: list[str], name: str) -> dict[str, str]:
    """Sheet column of each known field. Unknown columns are refused: a typo must not drop a field silently."""
    found, unknown = {}, []
    for column in header:
        key = next((k for k, names in COLUMNS.items() if fold(column) in names), None)
        if key is None:
            unknown.append(column)
        else:
            found[key] = column
    report = Report()
    for column in unknown:
        report.error(name, 1, column, "colonne inconnue (voir la liste des colonnes d'une fiche atelier)")
    for key in ("direction", "kind"):
        if key not in found:
            report.error(name, 1, COLUMNS[key][0], "colonne obligatoire absente")
    if "siret" not in found and not {"name", "commune"} <= set(found):
        report.error(name, 1, "siret", "colonne « siret » ou colonnes « nom » et « commune » attendues")
    report.raise_if_errors(f"{name} : en-tête refusé, rien n'a été importé.")
    return found


def _number(text: str) -> float:
    return float(text.replace("\u202f", "").replace("\xa0", "").replace(" ", "").replace(",", "."))


def _date(text: str) -> date:
    text = text.strip()
    for fmt in ("%d/%m/%Y", "%Y-%m-%d"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(text)


def normalise_ewc(text: str) -> str:
    """« 10 02 02* », « 100202 », « 10.02.02 » -> « 100202 » (the star is the list's, not the sheet's)."""
    return re.sub(r"[\s.*]", "", text or "")


def ewc_suggestions_text(text: str, limit: int = 3) -> str:
    """« 10 01 02 (cendres volantes de charbon) ; … » from the engine's text matching, or ""."""
    ref = engine_reference()
    parts = []
    for code, _score in waste_index().suggest(text, limit=limit):
        entry = ref.ewc[code]
        parts.append(f"{entry.display} ({entry.label_fr[:80]})")
    return " ; ".join(parts)


def _find_establishments(siret_texts, name_communes) -> tuple[dict, dict]:
    """Establishments by SIRET, and by (folded name, commune text) — each in one query."""
    by_siret = {
        e.siret: e for e in Establishment.objects.filter(siret__in=siret_texts).select_related("company")
    }
    by_name: dict[tuple[str, str], list[Establishment]] = {}
    for name, commune in name_communes:
        codes = (
            [commune]
            if commune.isdigit() or (len(commune) == 5 and commune[:2] in ("2A", "2B"))
            else list(Commune.objects.filter(name__unaccent_iexact=commune).values_list("code", flat=True))
        )
        found = (
            Establishment.objects.filter(commune_code__in=codes, state=Establishment.State.ACTIVE)
            .filter(
                Q(company__name__unaccent_iexact=name)
                | Q(company__usual_name__unaccent_iexact=name)
                | Q(usual_name__unaccent_iexact=name)
                | Q(signboard__unaccent_iexact=name, diffusion="O")
            )
            .select_related("company")
            .order_by("siret")[:4]
        )
        by_name[(name, commune)] = list(found)
    return by_siret, by_name


def import_key(siret: str, fields: dict) -> str:
    text = "|".join(
        [
            siret,
            fields["direction"],
            fields["kind"],
            fields.get("ewc_id") or "",
            fields.get("resource", ""),
            fold(fields.get("label", "")),
        ]
    )
    return hashlib.sha256(text.encode()).hexdigest()[:40]


def read_sheet(path: Path, name: str | None = None) -> Sheet:
    """Read and check a workshop sheet. Raises UserError listing every problem (file, row, field)."""
    path = Path(path)
    name = name or path.name
    header, records = _records(path, name)
    cols = _columns(header, name)
    report = Report()
    sheet = Sheet(name)

    def get(values: dict, key: str) -> str:
        return (values.get(cols[key], "") if key in cols else "").strip()

    sirets = {re.sub(r"\s", "", get(v, "siret")) for _, v in records if get(v, "siret")}
    names = {
        (get(v, "name"), get(v, "commune")) for _, v in records if not get(v, "siret") and get(v, "name")
    }
    by_siret, by_name = _find_establishments(sirets, names)
    known_ewc = set(WasteCode.objects.values_list("code", flat=True))
    if not known_ewc:
        raise UserError(
            "La nomenclature des déchets n'est pas chargée : lancez d'abord « tandem load_eit_reference »."
        )
    seen: dict[str, int] = {}
    for line, values in records:
        if not any(v.strip() for v in values.values()):
            continue
        errors_before = len(report.errors)

        def err(key, message, value=None, line=line):
            report.error(name, line, cols.get(key, COLUMNS[key][0]), message, value)

        siret = re.sub(r"\s", "", get(values, "siret"))
        establishment = None
        if siret:
            if not (siret.isdigit() and len(siret) == 14):
                err("siret", "SIRET de 14 chiffres attendu", siret)
            elif siret not in by_siret:
                err("siret", "établissement inconnu du répertoire SIRENE chargé", siret)
            else:
                establishment = by_siret[siret]
        elif get(values, "name") and get(values, "commune"):
            found = by_name.get((get(values, "name"), get(values, "commune")), [])
            if not found:
                err(
                    "name",
                    f"aucun établissement actif de ce nom dans la commune « {get(values, 'commune')} »",
                    get(values, "name"),
                )
            elif len(found) > 1:
                err(
                    "name",
                    "plusieurs établissements portent ce nom dans cette commune : précisez le SIRET ("
                    + ", ".join(e.siret for e in found[:3])
                    + ")",
                    get(values, "name"),
                )
            else:
                establishment = found[0]
        else:
            err("siret", "SIRET, ou nom et commune de l'établissement, obligatoires")
        fields: dict = {}
        direction = DIRECTIONS.get(fold(get(values, "direction")))
        if direction is None:
            err("direction", "« offre » ou « besoin » attendu", get(values, "direction"))
        fields["direction"] = direction
        kind = KINDS.get(fold(get(values, "kind")))
        if kind is None:
            err(
                "kind",
                "nature inconnue (matière, chaleur, froid, eau, énergie, service mutualisé, capacité disponible)",
                get(values, "kind"),
            )
        fields["kind"] = kind
        fields["label"] = get(values, "label")[:255]
        ewc = normalise_ewc(get(values, "ewc"))
        resource_text = get(values, "resource")
        resource = RESOURCES.get(fold(resource_text), None) if resource_text else ""
        if resource is None:
            err("resource", "ressource inconnue", resource_text)
            resource = ""
        fields["resource"] = resource
        fields["ewc_id"] = None
        if ewc:
            if ewc not in known_ewc:
                hint = ewc_suggestions_text(fields["label"]) if fields["label"] else ""
                err(
                    "ewc",
                    "code déchet inconnu de la nomenclature européenne"
                    + (f" ; d'après la description : {hint}" if hint else ""),
                    get(values, "ewc"),
                )
            elif direction == engine.OFFER and len(ewc) != 6:
                err(
                    "ewc",
                    "une offre porte un code déchet à 6 chiffres (un besoin peut donner un chapitre ou sous-chapitre)",
                    get(values, "ewc"),
                )
            else:
                fields["ewc_id"] = ewc
        elif kind == engine.MATERIAL and not resource:
            hint = ewc_suggestions_text(fields["label"]) if fields["label"] else ""
            err(
                "ewc",
                "code déchet obligatoire pour une matière"
                + (
                    f" ; suggestions d'après la description : {hint}"
                    if hint
                    else " (décrivez la matière pour obtenir des suggestions)"
                ),
            )
        if kind and kind != engine.MATERIAL and not resource:
            guess = RESOURCES.get(fold(kind)) or {"heat": "heat", "cold": "cold", "water": "water"}.get(kind)
            if guess:
                fields["resource"] = guess
            else:
                err(
                    "resource",
                    "ressource obligatoire pour cette nature (ex. : électricité, formation, stockage)",
                )
        quantity = get(values, "quantity")
        fields["quantity"] = None
        if quantity:
            try:
                fields["quantity"] = _number(quantity)
                if fields["quantity"] < 0:
                    raise ValueError
            except ValueError:
                err("quantity", "nombre positif attendu", quantity)
        unit_text = get(values, "unit")
        unit = UNITS.get(fold(unit_text)) if unit_text else engine.CANONICAL_UNIT.get(kind or "", "t")
        if unit is None:
            err("unit", "unité inconnue (t, kg, MWh, kWh, GWh, GJ, m3, L, u)", unit_text)
        elif kind and engine.UNITS[unit][0] != engine.CANONICAL_UNIT[kind]:
            err("unit", f"unité qui ne convient pas à un flux de {engine.KINDS[kind]}", unit_text)
        fields["unit"] = unit or "t"
        period_text = get(values, "period")
        period = (
            PERIODS.get(fold(period_text).removeprefix("par ").removeprefix("/")) if period_text else "year"
        )
        if period is None:
            err("period", "période inconnue (an, mois, semaine, jour)", period_text)
        fields["period"] = period or "year"
        for key, target in (("temperature", "temperature_c"), ("confidence", "confidence")):
            text = get(values, key)
            fields[target] = None
            if text:
                try:
                    fields[target] = _number(text)
                except ValueError:
                    err(key, "nombre attendu", text)
        if fields["confidence"] is None:
            fields["confidence"] = WORKSHOP_CONFIDENCE
        elif not 0 < fields["confidence"] <= 1:
            err("confidence", "confiance entre 0 (exclu) et 1 attendue", get(values, "confidence"))
        if kind in (engine.HEAT, engine.COLD) and fields["temperature_c"] is None:
            sheet.warnings.append(
                f"{name}, ligne {line} : température absente : la compatibilité thermique ne pourra pas être vérifiée"
            )
        water = get(values, "water_class")
        fields["water_class"] = ""
        if water:
            fields["water_class"] = WATER.get(fold(water).removeprefix("classe "), WATER.get(fold(water)))
            if fields["water_class"] is None:
                err(
                    "water_class", "qualité d'eau inconnue (déminéralisée, potable, A, B, C, D, brute)", water
                )
                fields["water_class"] = ""
        state = get(values, "state")
        fields["physical_state"] = STATES.get(fold(state), "") if state else ""
        if state and not fields["physical_state"]:
            err("state", "état physique inconnu (solide, liquide, pâteux, gazeux)", state)
        fields["purity"] = get(values, "purity")[:100]
        status = get(values, "legal_status")
        fields["legal_status"] = STATUSES.get(fold(status)) if status else engine.WASTE
        if fields["legal_status"] is None:
            err("legal_status", "statut inconnu (déchet, sous-produit, sortie du statut de déchet)", status)
        origin = get(values, "origin")
        fields["origin"] = ORIGINS.get(fold(origin)) if origin else engine.WORKSHOP
        if fields["origin"] is None:
            err("origin", "origine inconnue (déclaré, atelier, estimé)", origin)
        for key in ("valid_from", "valid_until"):
            text = get(values, key)
            fields[key] = None
            if text:
                try:
                    fields[key] = _date(text)
                except ValueError:
                    err(key, "date attendue (JJ/MM/AAAA)", text)
        if fields["valid_from"] and fields["valid_until"] and fields["valid_from"] > fields["valid_until"]:
            err("valid_until", "fin de validité antérieure au début")
        fields["icpe_rubriques"] = " ".join(
            get(values, "rubriques").replace(",", " ").replace(";", " ").split()
        )[:200]
        fields["waste_operations"] = " ".join(
            get(values, "operations").upper().replace(",", " ").replace(";", " ").split()
        )[:200]
        if len(report.errors) > errors_before or establishment is None:
            continue
        key = import_key(establishment.siret, fields)
        if key in seen:
            err(
                "label",
                f"même flux que la ligne {seen[key]} (même établissement, sens, nature, code et description)",
            )
            continue
        seen[key] = line
        sheet.rows.append(SheetRow(line, establishment, fields, key))
    report.raise_if_errors(f"{name} : fiche atelier refusée, rien n'a été importé.")
    if not sheet.rows:
        raise UserError(f"{name} : aucune ligne de flux.")
    return sheet
