"""CSV and XLSX exports of company data. Callers pass querysets already scoped by the permission layer;
protected fields of non-diffusible establishments are never written."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import date
from decimal import Decimal

from openpyxl import Workbook

from tandem.core.spreadsheet import neutralise_cell, neutralise_row

ESTABLISHMENT_HEADERS = [
    "siret",
    "siren",
    "denomination",
    "siege",
    "etat",
    "date_creation",
    "date_fermeture",
    "naf",
    "tranche_effectif",
    "adresse",
    "code_postal",
    "commune",
    "code_commune",
    "referent_nomme",
]


def establishment_rows(establishments) -> Iterable[list]:
    for est in establishments.iterator(chunk_size=2000):
        protected = est.is_protected
        address = (
            ""
            if protected
            else " ".join(p for p in (est.street_number, est.street_type, est.street_name) if p)
        )
        yield [
            est.siret,
            est.company_id,
            est.company.display_name,
            "oui" if est.is_head_office else "non",
            est.get_state_display(),
            est.created_on.isoformat() if est.created_on else "",
            est.closed_on.isoformat() if est.closed_on else "",
            est.naf,
            est.headcount_band,
            address,
            est.postcode,
            est.commune_label,
            est.commune_code,
            "oui" if getattr(est, "has_referent", False) else "non",
        ]


JOURNEY_HEADERS = ["siren", "denomination", "entree", "etape_en_cours", "statut", "commune", "organisation"]


def journey_rows(journeys) -> Iterable[list]:
    for j in journeys.select_related("company", "owner", "commune").order_by("entered_on", "pk"):
        yield [
            j.company_id,
            j.company.display_name,
            j.entered_on.isoformat(),
            j.get_current_step_display(),
            j.get_status_display(),
            j.commune.name if j.commune else "",
            j.owner.name,
        ]


NEED_HEADERS = [
    "siren",
    "denomination",
    "theme",
    "intitule",
    "statut",
    "responsable",
    "echeance",
    "commune",
    "organisation",
]


def need_rows(needs) -> Iterable[list]:
    for n in needs.select_related("company", "owner", "assignee", "commune"):
        yield [
            n.company_id,
            n.company.display_name,
            n.get_topic_display(),
            n.title,
            n.get_status_display(),
            (n.assignee.get_full_name() or n.assignee.username) if n.assignee else "",
            n.due_on.isoformat() if n.due_on else "",
            n.commune.name if n.commune else "",
            n.owner.name,
        ]


AGENDA_HEADERS = ["rubrique", "siren", "denomination", "objet", "date"]


def agenda_rows(lines) -> Iterable[list]:
    """Rows of an agenda as one reader sees it (`tandem.companies.reviews.review_agenda_for`)."""
    for item in lines:
        yield [item.get_rule_display(), item.company_id, item.company.display_name, item.label, item.on or ""]


def to_csv(headers: list[str], rows: Iterable[list]) -> str:
    """UTF-8 CSV with a BOM-free header line, `;`-separated as French spreadsheets expect; text cells that
    a spreadsheet would run as formulas are neutralised (`tandem.core.spreadsheet`). Lines end with CRLF
    (RFC 4180): Python 3.11's writer quotes a field holding a carriage return only when CR ends the lines."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(headers)
    writer.writerows(neutralise_row(row) for row in rows)
    return buffer.getvalue()


def to_xlsx(headers: list[str], rows: Iterable[list], *, title: str) -> bytes:
    """An XLSX workbook (openpyxl, write-only mode so large exports stay in bounded memory). openpyxl writes a
    text starting with `=` as a formula: text cells go through `neutralise_cell` first."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31])
    sheet.append(headers)
    for row in rows:
        # Numbers, text and dates stay typed cells; anything else is written as text.
        sheet.append(
            [
                v if v is None or isinstance(v, int | float | Decimal | date) else neutralise_cell(str(v))
                for v in row
            ]
        )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


__all__ = [
    "AGENDA_HEADERS",
    "ESTABLISHMENT_HEADERS",
    "JOURNEY_HEADERS",
    "NEED_HEADERS",
    "agenda_rows",
    "establishment_rows",
    "journey_rows",
    "need_rows",
    "to_csv",
    "to_xlsx",
]
