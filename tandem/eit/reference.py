"""The EIT reference nomenclatures for the product: the engine's `Reference` read from the directory of the real
files (`TANDEM_EIT_REFERENCE_DIR`, ../shared/data/real/eit at set-up; never copied into the repository), and
the loading of the European List of Waste into `WasteCode` (`tandem load_eit_reference`)."""

from __future__ import annotations

from functools import lru_cache

from django.conf import settings
from django.db import transaction

from tandem.core.errors import UserError
from tandem.eit.engine import Reference, WasteIndex, load_reference
from tandem.eit.models import WasteCode


@lru_cache(maxsize=2)
def _reference(directory: str) -> Reference:
    return load_reference(directory)


def engine_reference() -> Reference:
    """The engine's reference (EWC, R/D ↔ ICPE, HotMaps costs …), read once per process."""
    directory = settings.TANDEM_EIT_REFERENCE_DIR
    if not directory:
        raise UserError(
            "Référentiels EIT non configurés : définissez TANDEM_EIT_REFERENCE_DIR (dossier des fichiers de "
            "référence, voir docs/eit-engine.md)."
        )
    return _reference(str(directory))


@lru_cache(maxsize=2)
def _waste_index(directory: str) -> WasteIndex:
    return WasteIndex(_reference(directory))


def waste_index() -> WasteIndex:
    """EWC suggestions from free text (the engine's `WasteIndex`), built once per process."""
    engine_reference()
    return _waste_index(str(settings.TANDEM_EIT_REFERENCE_DIR))


def waste_codes_rows(ref: Reference) -> dict[str, dict]:
    """The `WasteCode` rows of a reference: chapters, sub-chapters and entries."""
    rows = {}
    for code, (label_fr, label_en) in ref.headings.items():
        level = WasteCode.Level.CHAPTER if len(code) == 2 else WasteCode.Level.SUBCHAPTER
        rows[code] = {"level": level, "hazardous": False, "label_fr": label_fr, "label_en": label_en}
    for code, entry in ref.ewc.items():
        rows[code] = {
            "level": WasteCode.Level.ENTRY,
            "hazardous": entry.hazardous,
            "label_fr": entry.label_fr,
            "label_en": entry.label_en,
        }
    return rows


@transaction.atomic
def waste_codes_load(*, ref: Reference, dry_run: bool = False) -> dict[str, int]:
    """Create or update the European List of Waste from `ref`; loading the same list twice changes nothing.
    Entries no longer listed are kept (flows may point at them). Returns the counts."""
    rows = waste_codes_rows(ref)
    existing = {w.code: w for w in WasteCode.objects.all()}
    counts = {"created": 0, "updated": 0, "unchanged": 0}
    to_create, to_update = [], []
    for code, fields in sorted(rows.items()):
        current = existing.get(code)
        if current is None:
            to_create.append(WasteCode(code=code, **fields))
            counts["created"] += 1
        elif any(getattr(current, k) != v for k, v in fields.items()):
            for k, v in fields.items():
                setattr(current, k, v)
            to_update.append(current)
            counts["updated"] += 1
        else:
            counts["unchanged"] += 1
    if not dry_run:
        WasteCode.objects.bulk_create(to_create, batch_size=1000)
        WasteCode.objects.bulk_update(
            to_update, ["level", "hazardous", "label_fr", "label_en"], batch_size=1000
        )
    return counts
