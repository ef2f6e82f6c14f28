"""The registry of steering indicators: each indicator is declared ONCE, by the module that owns its figures.

How a module adds its indicators (decarbonation, catalogue, skills, EIT… follow the same three steps):

1. Expose the figure as a selector of the module (`<app>/selectors.py`), taking an actor and a territory (and
   dates when the figure counts events): it applies the module's rules and the permission layer
   (`scope_queryset`). Steering never re-implements a rule.
2. In `<app>/indicators.py` (discovered at start-up by `tandem.steering.apps.SteeringConfig.ready`, like
   Django's `admin.py`), declare each indicator with the decorator below on a small function
   `(actor, territory, period) -> float | None` that calls that selector and returns one number:

       from tandem.steering.registry import indicator

       @indicator(
           code="decarbonation.emissions_t",          # "<app>.<name>", stable: snapshots are keyed on it
           label="Émissions industrielles",           # French, shown to users
           unit="tCO2e",                              # one of UNITS
           definition="Émissions déclarées des installations du territoire l'année de la période.",
           source="decarbonation",                    # the app that owns the figures
           kinds=ALL_KINDS,                           # the territory kinds it applies to (KINDS)
           target=lambda territory: -5_300_000 if territory.level == "region" else None,  # optional
           target_note="−5 300 ktCO2e d'ici 2030 (déclaration)",   # optional, French
       )
       def emissions(actor, territory, period):
           from tandem.decarbonation.selectors import emissions_for   # import inside: no cycle at start-up
           return emissions_for(actor, territory, year=period.year)["total_t"]

   If a module already has an `indicators.py` that computes figures (land does), the declarations go at the
   end of it, in their own section.
3. Nothing else: dashboards, snapshots, reports and CPOM objectives list every registered indicator.

Arguments the function receives:
- `actor`: `tandem.organizations.perms.Actor`. Live dashboards pass the reader (values over what they may
  see); the snapshot job passes `Actor.system_actor()` (the whole territory, see below).
- `territory`: `tandem.land.selectors.Territory` (level, key, name, `commune_q(prefix)`, `communes()`).
- `period`: `Period` (a calendar quarter: `year`, `quarter`, `start`, `end`). Stock figures (land available)
  are read as they stand when computed; flow figures (prospects received) count the events of the quarter.

Disclosure (decided here, once): an indicator that counts objects a reader may not see one by one (prospects,
companies) is declared `small_count=True`; `indicator_value` then passes it through
`tandem.core.disclosure.protect_total`, so a count of 1 or 2 is shown as « moins de 3 » (None), never as a
number that singles out a project. Indicators return numbers only: no name ever leaves an indicator.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Callable
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

from tandem.core.disclosure import protect_total

KINDS = {
    "epci": "EPCI",
    "departement": "département",
    "zone_emploi": "zone d'emploi",
    "territoire_industrie": "Territoire d'industrie",
    "region": "région",
    "perimeter": "périmètre personnalisé",
}
ALL_KINDS = frozenset(KINDS)
UNITS = {
    "ha": "ha",
    "m2": "m²",
    "count": "",  # a count reads as a bare number (« 96 », never « 96 nombre »)
    "pct": "%",
    "jobs": "emplois",
    "eur": "€",
    "t": "t",
    "mwh": "MWh",
    "tco2e": "tCO2e",
    "ktco2e": "ktCO2e",
    "days": "jours",
}


@dataclass(frozen=True)
class Period:
    """A calendar quarter (« T3 2026 »)."""

    year: int
    quarter: int

    def __post_init__(self):
        if self.quarter not in (1, 2, 3, 4):
            raise ValueError(f"trimestre invalide : {self.quarter}")

    @property
    def start(self) -> dt.date:
        return dt.date(self.year, 3 * self.quarter - 2, 1)

    @property
    def end(self) -> dt.date:
        """The last day of the quarter."""
        return self.next().start - dt.timedelta(days=1)

    @property
    def label(self) -> str:
        return f"T{self.quarter} {self.year}"

    @property
    def slug(self) -> str:
        return f"{self.year}-T{self.quarter}"

    def next(self) -> Period:
        return Period(self.year + 1, 1) if self.quarter == 4 else Period(self.year, self.quarter + 1)

    def previous(self) -> Period:
        return Period(self.year - 1, 4) if self.quarter == 1 else Period(self.year, self.quarter - 1)

    def year_before(self) -> Period:
        return Period(self.year - 1, self.quarter)

    @classmethod
    def of(cls, day: dt.date) -> Period:
        return cls(day.year, (day.month - 1) // 3 + 1)

    @classmethod
    def parse(cls, text: str) -> Period:
        """« 2026-T3 » (also « 2026T3 », « 2026-Q3 »); a French error otherwise."""
        match = re.fullmatch(r"\s*(\d{4})\s*-?\s*[TtQq]([1-4])\s*", text or "")
        if not match:
            raise ValueError(f"période « {text} » invalide : attendu par exemple « 2026-T3 »")
        return cls(int(match.group(1)), int(match.group(2)))


@dataclass(frozen=True)
class Indicator:
    code: str
    label: str
    unit: str
    definition: str
    source: str
    kinds: frozenset[str]
    compute: Callable = field(repr=False)
    small_count: bool = False
    target: Callable | None = field(default=None, repr=False)  # (territory) -> float | None
    target_note: str = ""
    lower_is_better: bool = False
    order: int = 0

    @property
    def unit_label(self) -> str:
        return UNITS[self.unit]

    def applies_to(self, territory) -> bool:
        return territory_kind(territory) in self.kinds

    def target_for(self, territory) -> float | None:
        return self.target(territory) if self.target else None


_REGISTRY: dict[str, Indicator] = {}


def indicator(
    *,
    code: str,
    label: str,
    unit: str,
    definition: str,
    source: str,
    kinds=ALL_KINDS,
    small_count: bool = False,
    target: Callable | None = None,
    target_note: str = "",
    lower_is_better: bool = False,
):
    """Declare the decorated function `(actor, territory, period) -> float | None` as an indicator."""
    if unit not in UNITS:
        raise ValueError(f"unknown unit {unit!r} for indicator {code}")
    unknown = set(kinds) - ALL_KINDS
    if unknown:
        raise ValueError(f"unknown territory kinds {unknown} for indicator {code}")

    def register(function):
        if code in _REGISTRY and _REGISTRY[code].compute.__qualname__ != function.__qualname__:
            raise ValueError(f"indicator {code} declared twice")
        _REGISTRY[code] = Indicator(
            code=code,
            label=label,
            unit=unit,
            definition=definition,
            source=source,
            kinds=frozenset(kinds),
            compute=function,
            small_count=small_count,
            target=target,
            target_note=target_note,
            lower_is_better=lower_is_better,
            order=len(_REGISTRY),
        )
        return function

    return register


def discover() -> None:
    """Import every installed app's `indicators` module (Django's autodiscovery)."""
    from django.utils.module_loading import autodiscover_modules

    autodiscover_modules("indicators")


def indicators(*, territory=None, source: str | None = None) -> list[Indicator]:
    """The registered indicators in declaration order, those applying to `territory` / from `source` only."""
    found = sorted(_REGISTRY.values(), key=lambda i: i.order)
    if territory is not None:
        found = [i for i in found if i.applies_to(territory)]
    if source is not None:
        found = [i for i in found if i.source == source]
    return found


def indicator_get(code: str) -> Indicator:
    try:
        return _REGISTRY[code]
    except KeyError:
        raise KeyError(f"indicateur inconnu : {code}") from None


def territory_kind(territory) -> str:
    """The kind of a `land.selectors.Territory` among KINDS (a Territoire d'industrie is a perimeter kind)."""
    if territory.level == "perimeter" and territory.perimeter_kind == "territoire_industrie":
        return "territoire_industrie"
    return territory.level


_SHARED: ContextVar[dict | None] = ContextVar("steering_shared_figures", default=None)


@contextmanager
def evaluation():
    """One evaluation of several indicators (a dashboard, a snapshot, a report): the module figures they
    share (`shared_figures`) are computed once inside it, and forgotten when it ends — a memo of one request
    or one job, never kept by the process."""
    token = _SHARED.set({}) if _SHARED.get() is None else None
    try:
        yield
    finally:
        if token is not None:
            _SHARED.reset(token)


def _memo_key(value):
    try:
        hash(value)
    except TypeError:
        return ("id", id(value))  # an actor: the same object for the whole evaluation
    return value


def shared_figures(function: Callable, *args, **kwargs):
    """`function(*args, **kwargs)`, computed once per `evaluation()` for the same arguments (a module's
    figures that several of its indicators read); computed each time outside an evaluation."""
    memo = _SHARED.get()
    if memo is None:
        return function(*args, **kwargs)
    key = (
        function.__module__,
        function.__qualname__,
        tuple(_memo_key(a) for a in args),
        tuple(sorted((k, _memo_key(v)) for k, v in kwargs.items())),
    )
    if key not in memo:
        memo[key] = function(*args, **kwargs)
    return memo[key]


def per_evaluation(function: Callable) -> Callable:
    """Decorate a module's figures function read by several of its indicators (`_figures(actor, territory,
    period)`): inside one `evaluation()` it runs once for the same arguments."""

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        return shared_figures(function, *args, **kwargs)

    return wrapper


def indicator_value(item: Indicator, *, actor, territory, period: Period) -> float | None:
    """The value of one indicator: None when it does not apply to the territory, or when the small-count rule
    hides it (see the module)."""
    return value_shown(item, indicator_raw(item, actor=actor, territory=territory, period=period))


def indicator_raw(item: Indicator, *, actor, territory, period: Period) -> float | None:
    """The number an indicator computes, BEFORE the small-count rule: never shown as is (`value_shown` is the
    step between it and a reader). None when the indicator does not apply to the territory."""
    if not item.applies_to(territory):
        return None
    value = item.compute(actor, territory, period)
    return None if value is None else float(value)


def value_shown(item: Indicator, raw: float | None) -> float | None:
    """A raw value (`indicator_raw`) as a reader may see it: counts of objects under the small-count rule."""
    if raw is None:
        return None
    if item.small_count:
        return protect_total(int(raw))
    return round(float(raw), 2)
