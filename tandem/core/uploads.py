"""Uploaded files go to Django's storage (`MEDIA_ROOT` by default, any backend set in `STORAGES["default"]`),
never to the web process's temporary folder: what the web receives is where every process can read it."""

from __future__ import annotations

import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.core.files.storage import default_storage


@contextmanager
def upload_stored(upload, *, folder: str, suffix: str | None = None) -> Iterator[Path]:
    """Store `upload` under `folder/<random>/` for the time of the `with` block and give a local path to read
    it from (the stored file itself on a disk storage; a scratch copy on an object storage, for readers such
    as GDAL that need a path). The stored file is deleted at the end of the block."""
    original = Path(upload.name).name
    name = default_storage.save(
        f"{folder}/{uuid.uuid4().hex}/{Path(original).stem}{suffix or Path(original).suffix}", upload
    )
    scratch = None
    try:
        try:
            path = Path(default_storage.path(name))
        except NotImplementedError:
            scratch = tempfile.TemporaryDirectory(prefix="tandem-upload-")
            path = Path(scratch.name) / Path(name).name
            with default_storage.open(name, "rb") as source, open(path, "wb") as out:
                shutil.copyfileobj(source, out)
        yield path
    finally:
        if scratch:
            scratch.cleanup()
        default_storage.delete(name)
