"""The size limits every import obeys (upload, zip expansion, rows, field length).

The values live in the settings (`TANDEM_IMPORT_*`, environment-overridable, documented in
docs/security-imports.md); readers receive them as an `ImportLimits` so they stay free of Django.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ImportLimits:
    upload_bytes: int  # one uploaded file, and the total of one upload request
    expanded_bytes: int  # everything extracted from one zip archive
    zip_entries: int  # entries of one zip archive
    rows: int  # data rows of one table (CSV lines, features of a layer)
    field_chars: int  # characters of one field


def import_limits() -> ImportLimits:
    """The limits configured in the settings."""
    from django.conf import settings

    return ImportLimits(
        upload_bytes=settings.TANDEM_IMPORT_MAX_UPLOAD_BYTES,
        expanded_bytes=settings.TANDEM_IMPORT_MAX_EXPANDED_BYTES,
        zip_entries=settings.TANDEM_IMPORT_MAX_ZIP_ENTRIES,
        rows=settings.TANDEM_IMPORT_MAX_ROWS,
        field_chars=settings.TANDEM_IMPORT_MAX_FIELD_CHARS,
    )


def check_upload(name: str, size: int, limits: ImportLimits) -> None:
    """An uploaded file: a usable name that GDAL cannot read as a virtual path, within the upload limit.
    Raises UserError (French)."""
    from tandem.core.errors import UserError
    from tandem.imports.spatial import check_name

    if name in ("", ".", ".."):
        raise UserError("Un fichier envoyé n'a pas de nom.")
    check_name(name)
    if size > limits.upload_bytes:
        raise UserError(
            f"{name} : fichier trop volumineux ({size_text(size)} ; limite : {size_text(limits.upload_bytes)})."
        )


def size_text(size: int) -> str:
    """A byte count as a French reader expects it (« 50 Mo »)."""
    if size >= 1024 * 1024:
        value = size / (1024 * 1024)
        return f"{value:.0f} Mo" if value >= 10 else f"{value:.1f} Mo".replace(".", ",")
    if size >= 1024:
        return f"{size / 1024:.0f} ko"
    return f"{size} octets"
