"""CSV and XLSX exports of company data. Callers pass querysets already scoped by the permission layer;
protected fields of non-diffusible establishments are never written."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import BinaryIO

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


def review_rows(review, lines) -> Iterable[list]:
    """The whole review as its page shows it: the agenda (`agenda_rows`), then the minutes, the decisions and
    the actions (with who is responsible, the due date and whether it is done), under the same columns."""
    yield from agenda_rows(lines)
    if review.minutes:
        yield ["compte rendu", "", "", review.minutes, review.held_on]
    for d in review.decisions.select_related("company"):
        yield [
            "décision",
            d.company_id or "",
            d.company.display_name if d.company else "",
            d.text,
            review.held_on,
        ]
    for a in review.actions.select_related("company", "assignee", "assignee_organization"):
        who = " ".join(str(x) for x in (a.assignee, a.assignee_organization) if x)
        state = f"faite le {a.done_on:%d/%m/%Y}" if a.done_on else "à faire"
        text = a.text + (f" — responsable : {who}" if who else "") + f" — {state}"
        yield [
            "action",
            a.company_id or "",
            a.company.display_name if a.company else "",
            text,
            a.due_on or "",
        ]


def establishments_export_file(*, actor, params: dict, out: BinaryIO, progress) -> None:
    """The establishments list as `actor` sees it with the list's filters (`params`: q, naf, state,
    whole_registry, format), written into `out`: the generator of the web export, served at once or by a job
    (`tandem.core.files`, kind `companies.establishments`). The export is audited when it is generated."""
    from tandem.companies.selectors_followup import establishments_for
    from tandem.core.audit import audit_record
    from tandem.core.models import AuditEvent

    establishments = establishments_for(
        actor,
        q=params.get("q", ""),
        naf=params.get("naf", ""),
        state=params.get("state", "A"),
        whole_registry=bool(params.get("whole_registry")),
    )
    fmt = params.get("format", "csv")
    count = establishments.count()
    audit_record(
        actor=actor,
        action=AuditEvent.Action.EXPORT,
        object_type="companies.establishment",
        details={"format": fmt, "count": count},
    )
    progress(5, f"{count} établissements à écrire")
    rows = _counted(establishment_rows(establishments), count, progress)
    if fmt == "csv":
        text = io.TextIOWrapper(out, encoding="utf-8", newline="")
        writer = csv.writer(text, delimiter=";", lineterminator="\r\n")
        writer.writerow(ESTABLISHMENT_HEADERS)
        writer.writerows(neutralise_row(row) for row in rows)
        text.flush()
        text.detach()  # `out` stays open for the caller
    else:
        out.write(to_xlsx(ESTABLISHMENT_HEADERS, rows, title="etablissements"))


def _counted(rows: Iterable[list], total: int, progress, every: int = 5000) -> Iterable[list]:
    for n, row in enumerate(rows, start=1):
        if n % every == 0 and total:
            progress(5 + 90 * n // total, f"{n} établissements écrits sur {total}")
        yield row


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
    "establishments_export_file",
    "journey_rows",
    "need_rows",
    "review_rows",
    "to_csv",
    "to_xlsx",
]
