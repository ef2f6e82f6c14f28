"""Companies: the SIRENE registry and fragility signals (part A); follow-up models are added alongside."""

from tandem.companies.models.fragility import BodaccAnnouncement, ProceedingKind, Signal
from tandem.companies.models.registry import (
    PROTECTED_COMPANY_FIELDS,
    PROTECTED_ESTABLISHMENT_FIELDS,
    Company,
    Diffusion,
    Establishment,
    RegistryChange,
    RegistryImport,
)

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
