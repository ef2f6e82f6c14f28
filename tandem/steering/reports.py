"""The quarterly steering report of a territory (regional and territorial committees), as PDF, XLSX or CSV:
one generator per format for `tandem.core.files` (served through the job queue, `GeneratedFile`).

The figures of a quarter are its frozen values (`IndicatorSnapshot`, current version); a quarter not frozen
yet shows the territory's live value (`selectors.live_values`: the same numbers as its dashboard), marked
« provisoire ». Numbers only: no object is named, and counts go through the small-count rule
(`registry.value_shown`)."""

from __future__ import annotations

import csv
import io
from typing import BinaryIO

from django.template.loader import render_to_string
from django.utils import timezone

from tandem.core import formats
from tandem.core.spreadsheet import neutralise_row
from tandem.organizations.perms import Actor
from tandem.steering import registry
from tandem.steering.perms import can_read_steering
from tandem.steering.registry import Period
from tandem.steering.selectors import change_pct, live_values, progress_pct, snapshots_of

HEADERS = [
    "Indicateur",
    "Unité",
    "Source",
    "Valeur du trimestre",
    "Statut de la valeur",
    "Même trimestre un an avant",
    "Évolution sur un an (%)",
    "Cible",
    "Avancement (%)",
    "Définition",
]
SOURCES = {
    "land": "foncier",
    "prospects": "prospects",
    "companies": "suivi des entreprises",
    "eit": "écologie industrielle",
}


@registry.evaluation()
def report_rows(actor: Actor, territory, period: Period) -> list[dict]:
    """One row per indicator of the territory for the quarter (see the module)."""
    frozen = {
        (s.indicator, s.year, s.quarter): s
        for s in snapshots_of(territory).filter(year__in=[period.year, period.year - 1])
    }
    rows, live = [], None
    for item in registry.indicators(territory=territory):
        snap = frozen.get((item.code, period.year, period.quarter))
        if snap:
            value, status = (
                snap.value,
                "figée" + (f" (version {snap.version} : {snap.reason})" if snap.reason else ""),
            )
        else:
            live = live if live is not None else live_values(territory, period)
            value = live.get(item.code)
            status = "provisoire (non figée)"
        ago = frozen.get((item.code, period.year - 1, period.quarter))
        before = ago.value if ago else None
        target = item.target_for(territory)
        rows.append(
            {
                "indicator": item,
                "label": item.label,
                "unit": item.unit_label,
                "source": SOURCES.get(item.source, item.source),
                "value": value,
                "hidden": value is None and item.small_count,
                "status": status,
                "year_before": before,
                "change_pct": change_pct(value, before),
                "target": target,
                "progress_pct": progress_pct(item, value, target),
                "definition": item.definition,
            }
        )
    return rows


def _number(value):
    """Whole numbers (counts, stored as floats in the snapshots) written as integers."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


def _cells(row: dict) -> list:
    value = "moins de 3" if row["hidden"] else _number(row["value"])
    return [
        row["label"],
        row["unit"],
        row["source"],
        value,
        row["status"],
        _number(row["year_before"]),
        row["change_pct"],
        row["target"],
        row["progress_pct"],
        row["definition"],
    ]


def _resolve(actor: Actor, params: dict):
    from tandem.core.errors import NotAllowed
    from tandem.land.selectors import territory_resolve

    if not can_read_steering(actor):
        raise NotAllowed("Le pilotage est réservé aux membres d'une organisation.")
    territory = territory_resolve(actor, level=params["level"], key=params["key"])
    return territory, Period.parse(params["period"])


def report_title(territory, period: Period) -> str:
    return f"Rapport trimestriel de pilotage — {territory.name} — {period.label}"


def report_csv_file(*, actor: Actor, params: dict, out: BinaryIO, progress) -> None:
    territory, period = _resolve(actor, params)
    rows = report_rows(actor, territory, period)
    text = io.TextIOWrapper(out, encoding="utf-8", newline="")
    writer = csv.writer(text, delimiter=";", lineterminator="\r\n")
    writer.writerow(HEADERS)
    for row in rows:
        writer.writerow(neutralise_row(_cells(row)))
    text.flush()
    text.detach()


def report_xlsx_file(*, actor: Actor, params: dict, out: BinaryIO, progress) -> None:
    from tandem.companies.exports import to_xlsx

    territory, period = _resolve(actor, params)
    rows = report_rows(actor, territory, period)
    out.write(to_xlsx(HEADERS, (_cells(r) for r in rows), title=f"pilotage {period.slug}"))


def report_pdf_file(*, actor: Actor, params: dict, out: BinaryIO, progress) -> None:
    from weasyprint import HTML

    territory, period = _resolve(actor, params)
    progress(10, "calcul des indicateurs")
    rows = report_rows(actor, territory, period)
    progress(60, "mise en page")
    html = render_to_string(
        "steering/report_pdf.html",
        {
            "title": report_title(territory, period),
            "territory": territory,
            "kind_label": registry.KINDS[registry.territory_kind(territory)],
            "period": period,
            "rows": rows,
            "generated_on": formats.fr_date(timezone.localdate()),
            "extra": params.get("extra") or {},
        },
    )
    out.write(HTML(string=html).write_pdf())


# --- Quarterly report of a convention (CPOM) -------------------------------------------------------------

OBJECTIVE_HEADERS = [
    "Indicateur",
    "Unité",
    "Cible de l'année",
    "Pondération (%)",
    "Réalisé",
    "Avancement (%)",
]


def _convention_report(actor: Actor, params: dict):
    from tandem.steering.selectors import objective_rows, report_get

    report = report_get(actor, int(params["report"]))
    period = Period(report.year, report.quarter)
    objectives = objective_rows(actor, report.convention, period)
    return report, period, objectives


def _validation_text(report) -> str:
    if report.status == report.Status.VALIDATED:
        return f"Validé par la Région le {formats.fr_date(timezone.localtime(report.validated_at).date())}."
    if report.status == report.Status.SUBMITTED:
        return f"Transmis à la Région le {formats.fr_date(timezone.localtime(report.submitted_at).date())}."
    return "En préparation : non encore transmis à la Région."


def convention_report_title(report) -> str:
    return f"Rapport trimestriel — {report.convention.title} — T{report.quarter} {report.year}"


def convention_report_pdf_file(*, actor: Actor, params: dict, out: BinaryIO, progress) -> None:
    """The quarterly report of a convention's partner as PDF: objectives with actuals, the indicators of the
    convention's territory, the partner's comment and the validation state."""
    from weasyprint import HTML

    report, period, objectives = _convention_report(actor, params)
    territory = objectives["territory"]
    progress(20, "calcul des indicateurs")
    rows = report_rows(actor, territory, period)
    html = render_to_string(
        "steering/report_pdf.html",
        {
            "title": convention_report_title(report),
            "territory": territory,
            "kind_label": registry.KINDS[registry.territory_kind(territory)],
            "period": period,
            "rows": rows,
            "generated_on": formats.fr_date(timezone.localdate()),
            "extra": {
                "objectives": objectives["rows"],
                "comment": report.comment,
                "validation": _validation_text(report),
            },
        },
    )
    out.write(HTML(string=html).write_pdf())


def convention_report_xlsx_file(*, actor: Actor, params: dict, out: BinaryIO, progress) -> None:
    from tandem.companies.exports import to_xlsx

    report, period, objectives = _convention_report(actor, params)
    lines = [
        [o["label"], o["unit"], o["target"], o["weight"], o["actual"], o["progress_pct"]]
        for o in objectives["rows"]
    ]
    lines += [[], ["Commentaire de l'organisation", report.comment], ["État", _validation_text(report)]]
    out.write(to_xlsx(OBJECTIVE_HEADERS, lines, title=f"rapport {period.slug}"))
