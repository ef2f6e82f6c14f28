"""When a terrain can be offered to a project: the availability classes, from the standard's fields.

The rules (also shown in the web pages and in docs/land-indicators.md), applied in this order to the terrains
counted in the usable surface (`terr_utile` is not « non »):

1. « occupé ou vendu » — `terr_etat_occup` = occupé, or `terr_stade_comm` = vendu, commercialisation achevée;
2. « réservé » — `terr_stade_comm` = réservé (option ou délibération de l'EPCI);
3. « non mobilisable » — `terr_stade_amngt` = non aménageable, `terr_stade_comm` = non commercialisable, an
   infrastructure usage (voirie, parkings, bassins, équipements publics, services partagés), or a green space
   (`espace vert`) that is not on sale;
4. « disponible immédiatement » — en vente, viabilisé (aménagé or not), inoccupé or vacant, and no
   `tdm_available_on` date in the future;
5. « mobilisable à court terme » (within two years) — held by a public owner or a developer (commune, EPCI,
   EPF, SEM/SPLA, aménageur, État and other public bodies) and viabilisé or being serviced; or available as in 4
   but with `tdm_available_on` within two years;
6. « mobilisable à moyen terme » — everything else: not serviced, held by a private owner, or unknown.

Everything is a SQL `CASE` so indicators aggregate over hundreds of thousands of terrains in one query.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Case, F, FloatField, Q, Value, When
from django.db.models.functions import Coalesce

NOW = "now"
SHORT = "short"
MEDIUM = "medium"
TAKEN = "taken"
RESERVED = "reserved"
EXCLUDED = "excluded"

CLASSES = {
    NOW: "disponible immédiatement",
    SHORT: "mobilisable à court terme (moins de 2 ans)",
    MEDIUM: "mobilisable à moyen terme",
    RESERVED: "réservé",
    TAKEN: "occupé ou vendu",
    EXCLUDED: "non mobilisable",
}
# Map colours (also used by the dashboard chart).
COLOURS = {
    NOW: "#18753c",
    SHORT: "#b7a73f",
    MEDIUM: "#e4794a",
    RESERVED: "#6a6af4",
    TAKEN: "#666666",
    EXCLUDED: "#bbbbbb",
}
SHORT_TERM_DAYS = 2 * 365

SOLD = ["vendu, commercialisation achevée"]
RESERVED_STAGES = ["réservé par option de réservation", "réservé par une délibération de l'EPCI"]
FOR_SALE = "en vente"
SERVICED = ["viabilisé et aménagé", "viabilisé non aménagé"]
BEING_SERVICED = [*SERVICED, "viabilisation en cours"]
FREE = ["inoccupé", "vacant"]
NOT_FOR_SALE_USAGES = [
    "voirie ou infrastructure",
    "parkings, stationnement",
    "zone de retournement poids-lourds",
    "autres équipements publics",
    "bassin d'orage ou de rétention",
    "zone de service partagée entre entreprises",
]
# A landscaped area of the zone is not for sale, but a lot on sale may still be grass today.
GREEN = "espace vert"
ON_SALE = [FOR_SALE, "en vente avec contraintes"]
PUBLIC_CONTROL = [
    "Etat",
    "région",
    "département",
    "structure intercommunale",
    "commune",
    "autre collectivité territoriale",
    "établissement public foncier",
    "SEM ou SPLA",
    "aménageur",
]
# Built land units (unités foncières bâties) for the vacancy rate of art. L318-8-2 of the code de l'urbanisme:
# units once used by a business; vacant ones are no longer used.
VACANT = ["vacant", "friche"]
BUILT_UNITS = ["occupé", "occupation transitoire", *VACANT]


def counted_q(prefix: str = "") -> Q:
    """Terrains counted in the usable surface (`terr_utile` « oui » or not filled)."""
    return ~Q(**{f"{prefix}terr_utile": False})


def surface_ha(prefix: str = ""):
    """A terrain's surface: the declared `terr_surf_brute` (ha), else the area of its geometry."""
    return Coalesce(
        F(f"{prefix}terr_surf_brute"), F(f"{prefix}area_ha"), Value(0.0), output_field=FloatField()
    )


def availability_case(*, today: dt.date | None = None, prefix: str = "") -> Case:
    """The availability class of a terrain, as a SQL expression (see the module docstring)."""
    today = today or dt.date.today()
    horizon = today + dt.timedelta(days=SHORT_TERM_DAYS)

    def q(**kwargs) -> Q:
        return Q(**{f"{prefix}{k}": v for k, v in kwargs.items()})

    ready = q(terr_stade_comm=FOR_SALE, terr_stade_amngt__in=SERVICED, terr_etat_occup__in=FREE)
    later = q(tdm_available_on__gt=today)
    return Case(
        When(~counted_q(prefix), then=Value(EXCLUDED)),
        When(q(terr_etat_occup="occupé") | q(terr_stade_comm__in=SOLD), then=Value(TAKEN)),
        When(q(terr_stade_comm__in=RESERVED_STAGES), then=Value(RESERVED)),
        When(
            q(terr_stade_amngt="non aménageable")
            | q(terr_stade_comm="non commercialisable")
            | q(terr_usage__in=NOT_FOR_SALE_USAGES)
            | (q(terr_usage=GREEN) & ~q(terr_stade_comm__in=ON_SALE)),
            then=Value(EXCLUDED),
        ),
        When(ready & ~later, then=Value(NOW)),
        When(ready & q(tdm_available_on__lte=horizon), then=Value(SHORT)),
        When(
            q(terr_maitrise_fonc__in=PUBLIC_CONTROL, terr_stade_amngt__in=BEING_SERVICED)
            & ~q(tdm_available_on__gt=horizon),
            then=Value(SHORT),
        ),
        default=Value(MEDIUM),
    )


def classify(terrain, *, today: dt.date | None = None) -> str:
    """The same rules in Python, for one terrain already in memory (site sheet, API detail)."""
    today = today or dt.date.today()
    horizon = today + dt.timedelta(days=SHORT_TERM_DAYS)
    if terrain.terr_utile is False:
        return EXCLUDED
    if terrain.terr_etat_occup == "occupé" or terrain.terr_stade_comm in SOLD:
        return TAKEN
    if terrain.terr_stade_comm in RESERVED_STAGES:
        return RESERVED
    if (
        terrain.terr_stade_amngt == "non aménageable"
        or terrain.terr_stade_comm == "non commercialisable"
        or terrain.terr_usage in NOT_FOR_SALE_USAGES
        or (terrain.terr_usage == GREEN and terrain.terr_stade_comm not in ON_SALE)
    ):
        return EXCLUDED
    available_on = terrain.tdm_available_on
    ready = (
        terrain.terr_stade_comm == FOR_SALE
        and terrain.terr_stade_amngt in SERVICED
        and terrain.terr_etat_occup in FREE
    )
    if ready and not (available_on and available_on > today):
        return NOW
    if ready and available_on <= horizon:
        return SHORT
    if (
        terrain.terr_maitrise_fonc in PUBLIC_CONTROL
        and terrain.terr_stade_amngt in BEING_SERVICED
        and not (available_on and available_on > horizon)
    ):
        return SHORT
    return MEDIUM


OFFERABLE = (NOW, SHORT, MEDIUM)


def unavailable_reason(
    availability: str,
    *,
    stade_comm: str = "",
    etat_occup: str = "",
    stade_amngt: str = "",
    usage: str = "",
    utile: bool | None = None,
) -> str:
    """Why a terrain of class `availability` cannot be offered to a project, in French for the user; empty when
    it can (« disponible immédiatement », « mobilisable à court / moyen terme »). The class decides; the
    fields recorded on the terrain are quoted so that the user sees which one to correct."""
    if availability in OFFERABLE:
        return ""
    recorded = [
        ("commercialisation", stade_comm),
        ("occupation", etat_occup),
        ("aménagement", stade_amngt),
        ("usage", usage),
    ]
    details = [f"{label} « {value} »" for label, value in recorded if value]
    if utile is False:
        details.insert(0, "terrain non compté dans la surface utile")
    text = f"terrain {CLASSES[availability]}"
    return f"{text} ({', '.join(details)})" if details else text
