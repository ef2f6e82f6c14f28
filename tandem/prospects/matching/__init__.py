"""Site matching for investor prospects: a pure numpy engine (no Django), documented in docs/matching.md."""

from tandem.prospects.matching.candidates import (
    ICPE_LEVELS,
    KIND_COMBINATION,
    KIND_FRICHE,
    KIND_NAMES,
    KIND_SITE,
    KIND_TERRAIN,
    SEVESO_LEVELS,
    Candidates,
)
from tandem.prospects.matching.criteria import CRITERIA, CRITERIA_LABELS, DEFAULT_WEIGHTS, Thresholds
from tandem.prospects.matching.engine import CONSTRAINTS, STATUS_NAMES, Ranking, match
from tandem.prospects.matching.requirements import MatchingInputError, Requirements

__all__ = [
    "CONSTRAINTS",
    "CRITERIA",
    "CRITERIA_LABELS",
    "DEFAULT_WEIGHTS",
    "ICPE_LEVELS",
    "KIND_COMBINATION",
    "KIND_FRICHE",
    "KIND_NAMES",
    "KIND_SITE",
    "KIND_TERRAIN",
    "SEVESO_LEVELS",
    "STATUS_NAMES",
    "Candidates",
    "MatchingInputError",
    "Ranking",
    "Requirements",
    "Thresholds",
    "match",
]
