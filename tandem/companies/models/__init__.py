"""Companies: the SIRENE registry and fragility signals (part A); follow-up models are added alongside."""

from tandem.companies.models.followup import *  # noqa: F403 — part B: follow-up, Parcours, reviews
from tandem.companies.models.fragility import BodaccAnnouncement, ProceedingKind, Signal
from tandem.companies.models.parcours import *  # noqa: F403
from tandem.companies.models.registry import (
    PROTECTED_COMPANY_FIELDS,
    PROTECTED_ESTABLISHMENT_FIELDS,
    Company,
    Diffusion,
    Establishment,
    RegistryChange,
    RegistryImport,
)
from tandem.companies.models.reviews import *  # noqa: F403

__all__ = [
    "PROTECTED_COMPANY_FIELDS",
    "PROTECTED_ESTABLISHMENT_FIELDS",
    "BodaccAnnouncement",
    "Company",
    "Diffusion",
    "Establishment",
    "ProceedingKind",
    "RegistryChange",
    "RegistryImport",
    "Signal",
]
