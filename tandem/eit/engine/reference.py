"""Reference nomenclatures read from a directory of the real files (never copied into the repository).

The directory holds the files described in ../shared/data/real/eit/PROVENANCE.md: the European List of Waste
(EWC) with FR/EN labels and hazardous flags, its chapter headings, NAF rév. 2 (FR) and NACE Rev. 2.1 (EN),
the R/D operation codes and their ICPE rubriques, and the HotMaps heat-network cost assumptions. The product
will later read the same files through the imports framework and hand them to `Reference.from_rows`.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

from tandem.core.problems import Report
from tandem.eit.engine.model import EngineInputError

FILES = {
    "ewc": "ewc_low_codes_fr_en.csv",
    "headings": "ewc_low_headings_fr_en.csv",
    "naf": "naf_rev2_sous_classes_fr.csv",
    "nace": "nace_rev2_1_en_levels1-4.csv",
    "operations": "waste_operations_rd_codes_fr.csv",
    "operation_rubriques": "waste_operation_to_icpe_rubrique.csv",
    "line_costs": "hotmaps_heat_transmission_line_costs.csv",
    "equipment_costs": "hotmaps_heat_equipment_costs.csv",
}
REQUIRED_COLUMNS = {
    "ewc": ("code", "chapter", "subchapter", "hazardous", "label_en", "label_fr"),
    "headings": ("code", "level", "label_en", "label_fr"),
    "naf": ("code_sous_classe", "libelle_sous_classe", "code_classe", "code_division"),
    "nace": ("code", "level", "label_en"),
    "operations": ("code", "type", "label_fr"),
    "operation_rubriques": ("code_operation", "rubrique_icpe"),
    "line_costs": ("capacity_mw", "cost_eur_per_m"),
    "equipment_costs": ("component", "condition", "cost_eur_per_mw_peak"),
}


@dataclass(frozen=True)
class WasteCode:
    code: str  # 6 digits
    hazardous: bool
    label_fr: str
    label_en: str

    @property
    def display(self) -> str:
        return f"{self.code[:2]} {self.code[2:4]} {self.code[4:]}{'*' if self.hazardous else ''}"


@dataclass
class Reference:
    ewc: dict[str, WasteCode] = field(default_factory=dict)
    headings: dict[str, tuple[str, str]] = field(default_factory=dict)  # "10"/"1002" -> (fr, en)
    naf: dict[str, str] = field(default_factory=dict)  # "10.51" (class) and "10.51C" -> French label
    nace: dict[str, str] = field(default_factory=dict)  # "10.51", "10.5", "10" -> English label
    operations: dict[str, str] = field(default_factory=dict)  # "R3" -> French label
    operation_rubriques: dict[str, frozenset[str]] = field(default_factory=dict)  # "R3" -> {"2780", …}
    line_costs: list[tuple[float, float]] = field(default_factory=list)  # (capacity MW, €/m), ascending
    equipment_costs: dict[tuple[str, str], float] = field(default_factory=dict)

    def heading(self, code: str) -> str:
        """French label of an EWC code, sub-chapter or chapter ("" when unknown)."""
        if len(code) == 6 and code in self.ewc:
            return self.ewc[code].label_fr
        return self.headings.get(code, ("", ""))[0]

    def is_hazardous(self, code: str) -> bool:
        entry = self.ewc.get(code)
        return bool(entry and entry.hazardous)

    @staticmethod
    def display(code: str) -> str:
        return " ".join(code[i : i + 2] for i in range(0, len(code), 2))


def _read(path: Path, name: str, report: Report) -> list[tuple[int, dict[str, str]]]:
    if not path.exists():
        report.error(path.name, None, None, "fichier de référence introuvable")
        return []
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in REQUIRED_COLUMNS[name] if c not in (reader.fieldnames or [])]
        if missing:
            report.error(path.name, 1, ", ".join(missing), "colonne(s) obligatoire(s) absente(s)")
            return []
        return [(line, row) for line, row in enumerate(reader, start=2)]


def load_reference(directory: str | Path) -> Reference:
    """Read and check the reference files of `directory`; a UserError lists every problem (file, line, field)."""
    directory = Path(directory)
    report = Report()
    if not directory.is_dir():
        raise EngineInputError(f"Dossier des référentiels EIT introuvable : {directory}")
    rows = {name: _read(directory / filename, name, report) for name, filename in FILES.items()}
    ref = Reference()
    for line, row in rows["ewc"]:
        code = row["code"].strip()
        if not (code.isdigit() and len(code) == 6):
            report.error(FILES["ewc"], line, "code", "code déchet à 6 chiffres attendu", code)
            continue
        if row["hazardous"] not in ("true", "false"):
            report.error(FILES["ewc"], line, "hazardous", "valeur true ou false attendue", row["hazardous"])
            continue
        ref.ewc[code] = WasteCode(code, row["hazardous"] == "true", row["label_fr"], row["label_en"])
    for line, row in rows["headings"]:
        code = row["code"].strip()
        if not (code.isdigit() and len(code) in (2, 4)):
            report.error(
                FILES["headings"], line, "code", "chapitre (2 chiffres) ou sous-chapitre (4) attendu", code
            )
            continue
        ref.headings[code] = (row["label_fr"], row["label_en"])
    for _line, row in rows["naf"]:
        ref.naf[row["code_sous_classe"]] = row["libelle_sous_classe"]
        ref.naf.setdefault(row["code_classe"], row.get("libelle_classe", row["libelle_sous_classe"]))
        ref.naf.setdefault(row["code_division"], row.get("libelle_division", ""))
    for _line, row in rows["nace"]:
        ref.nace[row["code"]] = row["label_en"]
    for _line, row in rows["operations"]:
        ref.operations[row["code"]] = row["label_fr"]
    links: dict[str, set[str]] = {}
    for line, row in rows["operation_rubriques"]:
        if row["code_operation"] not in ref.operations and rows["operations"]:
            report.error(
                FILES["operation_rubriques"],
                line,
                "code_operation",
                "opération R/D inconnue",
                row["code_operation"],
            )
            continue
        links.setdefault(row["code_operation"], set()).add(row["rubrique_icpe"].strip())
    ref.operation_rubriques = {k: frozenset(v) for k, v in links.items()}
    for line, row in rows["line_costs"]:
        try:
            ref.line_costs.append((float(row["capacity_mw"]), float(row["cost_eur_per_m"])))
        except ValueError:
            report.error(FILES["line_costs"], line, "capacity_mw", "nombre attendu", row["capacity_mw"])
    ref.line_costs.sort()
    for line, row in rows["equipment_costs"]:
        try:
            ref.equipment_costs[(row["component"], row["condition"])] = float(row["cost_eur_per_mw_peak"])
        except ValueError:
            report.error(
                FILES["equipment_costs"],
                line,
                "cost_eur_per_mw_peak",
                "nombre attendu",
                row["cost_eur_per_mw_peak"],
            )
    report.raise_if_errors(f"Référentiels EIT inutilisables ({directory})")
    return ref
