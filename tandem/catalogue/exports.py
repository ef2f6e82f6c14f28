"""CSV and XLSX exports of the catalogue search and of the routing indicators. Rows only: files are written by
the one export writer (`tandem.companies.exports.to_csv` / `to_xlsx`, which neutralise formula-like cells
through `tandem.core.spreadsheet`). Callers pass what the actor may see (selectors of this app)."""

from __future__ import annotations

from collections.abc import Iterable

SCHEME_HEADERS = [
    "Dispositif",
    "Identifiant",
    "Source",
    "Type d'aide",
    "Opérateur de contact",
    "Montant",
    "Territoire",
    "Début de validité",
    "Fin de validité",
    "Page de l'aide",
]


def scheme_rows(schemes) -> Iterable[list]:
    for scheme in schemes.select_related("operator"):
        territory = "toute la France" if scheme.national else ", ".join(scheme.regions) or "non précisé"
        yield [
            scheme.title,
            scheme.slug,
            scheme.get_source_display(),
            scheme.get_nature_display(),
            scheme.operator.name if scheme.operator else scheme.financers,
            scheme.amount,
            territory,
            scheme.valid_from,
            scheme.valid_until,
            scheme.url,
        ]


FIGURE_LABELS = [
    ("needs", "Besoins orientés"),
    ("sent", "Orientations envoyées"),
    ("taken_in_time", "Prises en charge sous 9 jours"),
    ("answered_in_time", "Clôturées sous 45 jours"),
    ("open", "En cours"),
    ("unanswered", "Sans réponse"),
    ("granted", "Aides accordées"),
    ("amount_granted", "Montant des aides accordées (€)"),
]
INDICATOR_HEADERS = [
    "Partenaire",
    "Territoire",
    *(label for _key, label in FIGURE_LABELS),
]


def indicator_rows(figures: dict, by_partner: list[dict], *, territory: str) -> Iterable[list]:
    """One line for all partners, then one per partner (the figures the page shows)."""
    yield ["Tous les partenaires", territory, *(figures.get(key) for key, _label in FIGURE_LABELS)]
    for row in by_partner:
        yield [
            row.get("partner__name") or row.get("office__name") or "",
            territory,
            *(row.get(key) if key in row else None for key, _label in FIGURE_LABELS),
        ]
