"""Jobs crosswalks (pure: no Django). ROME v4 ↔ FAP 2021 proposed from labels and job titles until the official
Dares table is loaded; Formacode ↔ ROME derived from Certif Info. See docs/skills-crosswalk.md."""

from tandem.skills.crosswalk.engine import (
    Candidate,
    Crosswalk,
    Params,
    Proposal,
    precision_at,
    propose_rome_fap,
)
from tandem.skills.crosswalk.formacode import DerivedLink, FormacodeRomeCrosswalk, derive_formacode_rome
from tandem.skills.crosswalk.sources import (
    SOURCE_DERIVED,
    SOURCE_OFFICIAL,
    SOURCE_PROPOSED,
    FapPost,
    FormacodeRome,
    OfficialPair,
    RomeJob,
    read_dares_table,
    read_fap,
    read_formacode_rome,
    read_rome,
    read_rome_domains,
)

__all__ = [
    "SOURCE_DERIVED",
    "SOURCE_OFFICIAL",
    "SOURCE_PROPOSED",
    "Candidate",
    "Crosswalk",
    "DerivedLink",
    "FapPost",
    "FormacodeRome",
    "FormacodeRomeCrosswalk",
    "OfficialPair",
    "Params",
    "Proposal",
    "RomeJob",
    "derive_formacode_rome",
    "precision_at",
    "propose_rome_fap",
    "read_dares_table",
    "read_fap",
    "read_formacode_rome",
    "read_rome",
    "read_rome_domains",
]
