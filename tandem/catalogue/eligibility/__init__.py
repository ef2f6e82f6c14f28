"""Pure eligibility core of the support-scheme catalogue (no Django): the TEE programme format, a publicodes
subset evaluator proven equal to the reference engine, company profiles and French wording of the results.
See docs/catalogue-eligibility.md."""

from .evaluate import Criterion, Eligibility, evaluate_catalogue, evaluate_programme
from .profile import OBJECTIVES, CompanyProfile, ProfileError
from .publicodes import PublicodesError, RuleSet
from .tee import Programme, TeeCatalogue, TeeFormatError, read_tee_catalogue

__all__ = [
    "OBJECTIVES",
    "CompanyProfile",
    "Criterion",
    "Eligibility",
    "ProfileError",
    "Programme",
    "PublicodesError",
    "RuleSet",
    "TeeCatalogue",
    "TeeFormatError",
    "evaluate_catalogue",
    "evaluate_programme",
    "read_tee_catalogue",
]
