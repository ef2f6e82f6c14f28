"""Files generated for one user: exports and PDFs. Under a size threshold the web serves them at once; above it
a job of the worker writes them to Django's storage and the user follows a page with the progress and then a
download link (`tandem.core.models.GeneratedFile`, ADR 0001).

One generator per kind, the same function for both paths: `(*, actor, params, out, progress) -> None` writes
the whole file into the binary stream `out`. The job resolves the requester's `Actor` again when it runs, so
the permission layer decides at generation time: what the requester may no longer see is not in the file, and
a refused generation fails with its French reason.

A stored file is never half a file: on a disk storage it is written under a temporary name beside its final
name and renamed once complete (an atomic rename); on an object storage it is uploaded in one piece after it
is complete. Only its requester downloads it, until `expires_at` (`TANDEM_GENERATED_FILE_HOURS`); the periodic
job `core.generated_files_purge` deletes expired files.
"""

from __future__ import annotations

import io
import os
import tempfile
import uuid
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import BinaryIO

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files import File
from django.core.files.storage import default_storage
from django.http import Http404
from django.utils import timezone
from django.utils.module_loading import import_string

from tandem.core.errors import UserError
from tandem.core.models import GeneratedFile
from tandem.organizations.perms import Actor
from tandem.organizations.scoping import scoped

ProgressCallback = Callable[[int, str], None]
STORAGE_DIR = "generated"

# kind -> generator (dotted path, imported when used: the job's child process needs no registry set-up)
GENERATORS: dict[str, str] = {
    "land.cnig": "tandem.land.exports.land_export_archive",
    "land.sites_csv": "tandem.land.exports.sites_csv_file",
    "companies.establishments": "tandem.companies.exports.establishments_export_file",
    "prospects.answer_pdf": "tandem.prospects.answer.answer_pdf_file",
    "steering.report_pdf": "tandem.steering.reports.report_pdf_file",
    "steering.report_xlsx": "tandem.steering.reports.report_xlsx_file",
    "steering.report_csv": "tandem.steering.reports.report_csv_file",
    "steering.convention_report_pdf": "tandem.steering.reports.convention_report_pdf_file",
    "steering.convention_report_xlsx": "tandem.steering.reports.convention_report_xlsx_file",
}


def generator(kind: str) -> Callable[..., None]:
    return import_string(GENERATORS[kind])


def generated_file_inline(*, actor: Actor, kind: str, params: dict) -> bytes:
    """Generate a small file at once, in the request (the same generator as the job)."""
    out = io.BytesIO()
    generator(kind)(actor=actor, params=params, out=out, progress=lambda percent, label: None)
    return out.getvalue()


def generated_file_request(
    *, actor: Actor, kind: str, params: dict, label: str, file_name: str, content_type: str
) -> GeneratedFile:
    """Record a file to generate for `actor`'s user and queue its job (tandem.core.tasks)."""
    from tandem.core.tasks import generated_file_job

    if kind not in GENERATORS:
        raise ValueError(f"unknown generated file kind {kind!r}")
    generated = GeneratedFile.objects.create(
        kind=kind,
        label=label[:255],
        params=params,
        created_by=actor.user,
        actor_org_id=actor.current_org_id,
        file_name=file_name,
        content_type=content_type,
        progress_label="en attente",
    )
    generated.job_id = generated_file_job.defer(file_id=generated.pk)
    generated.save(update_fields=["job_id"])
    return generated


def _progress(file_id: int) -> ProgressCallback:
    def step(percent: int, label: str) -> None:
        GeneratedFile.objects.filter(pk=file_id).exclude(status__in=GeneratedFile.FINISHED).update(
            progress_percent=max(0, min(int(percent), 99)), progress_label=label[:200]
        )

    return step


def generated_file_build(*, file_id: int) -> GeneratedFile:
    """Generate a recorded file (the job's child process). A file already finished is left as it is, so a
    retried job never generates twice; a refusal (`UserError`, `NotAllowed`, no longer visible) ends it
    « échec » with its French reason and stores nothing."""
    generated = GeneratedFile.objects.select_related("created_by").get(pk=file_id)
    if generated.finished:
        return generated
    GeneratedFile.objects.filter(pk=file_id).update(
        status=GeneratedFile.Status.RUNNING, progress_percent=0, progress_label="préparation"
    )
    actor = Actor.for_user(generated.created_by, generated.actor_org_id)
    name = f"{STORAGE_DIR}/{generated.pk}/{generated.file_name}"
    try:
        # Built for its requester: scoped like their request, even though the worker's command runs unscoped.
        with scoped():
            size = _store(
                name,
                lambda out: generator(generated.kind)(
                    actor=actor, params=generated.params, out=out, progress=_progress(file_id)
                ),
            )
    except (UserError, PermissionDenied, Http404) as refusal:
        # NotAllowed is a PermissionDenied; Http404: what the requester no longer sees.
        message = (
            "les données demandées ne vous sont plus visibles"
            if isinstance(refusal, Http404)
            else getattr(refusal, "message", "") or str(refusal)
        )
        generated_file_end(file_id=file_id, status=GeneratedFile.Status.FAILED, label=f"refusé : {message}")
        return GeneratedFile.objects.get(pk=file_id)
    now = timezone.now()
    updated = (
        GeneratedFile.objects.filter(pk=file_id)
        .exclude(status__in=GeneratedFile.FINISHED)
        .update(
            status=GeneratedFile.Status.DONE,
            storage_name=name,
            size_bytes=size,
            progress_percent=100,
            progress_label="prêt",
            finished_at=now,
            expires_at=now + timedelta(hours=settings.TANDEM_GENERATED_FILE_HOURS),
        )
    )
    if not updated:  # cancelled meanwhile: the file is not kept
        default_storage.delete(name)
    return GeneratedFile.objects.get(pk=file_id)


def _store(name: str, write: Callable[[BinaryIO], None]) -> int:
    """Write a file with `write(out)` and store it under `name` whole or not at all; returns its size."""
    try:
        final = Path(default_storage.path(name))
    except NotImplementedError:
        # An object storage: generate into a scratch file, then upload it in one piece.
        with tempfile.TemporaryFile(prefix="tandem-generated-") as scratch:
            write(scratch)
            size = scratch.tell()
            scratch.seek(0)
            default_storage.save(name, File(scratch, name=Path(name).name))
        return size
    final.parent.mkdir(parents=True, exist_ok=True)
    partial = final.with_name(f".{final.name}.{uuid.uuid4().hex}.part")
    try:
        with open(partial, "wb") as out:
            write(out)
            out.flush()
            os.fsync(out.fileno())
            size = out.tell()
        os.replace(partial, final)  # atomic on one filesystem: readers see no file or the whole file
    finally:
        partial.unlink(missing_ok=True)
    return size


def generated_file_end(*, file_id: int, status: str, label: str) -> None:
    """Close a generation the job itself could not close (refused, cancelled, worker or child gone)."""
    GeneratedFile.objects.filter(pk=file_id).exclude(status__in=GeneratedFile.FINISHED).update(
        status=status, progress_percent=100, progress_label=label[:200], finished_at=timezone.now()
    )


def generated_file_for(*, user, file_id: int) -> GeneratedFile:
    """The file of `user`'s request, or 404 for anyone else (the file is the requester's, as the permission
    layer saw them at generation time: nobody else downloads it, whatever they may see)."""
    generated = GeneratedFile.objects.filter(pk=file_id, created_by_id=getattr(user, "pk", None)).first()
    if generated is None:
        raise Http404
    return generated


def generated_file_open(*, generated: GeneratedFile) -> File:
    """The stored file, if ready and not expired (`UserError` with the French reason otherwise)."""
    if generated.status == GeneratedFile.Status.EXPIRED or (
        generated.expires_at and generated.expires_at <= timezone.now()
    ):
        raise UserError("Ce fichier a expiré : demandez-le de nouveau.")
    if generated.status != GeneratedFile.Status.DONE:
        raise UserError("Ce fichier n'est pas prêt.")
    return default_storage.open(generated.storage_name, "rb")


def generated_file_cancel(*, generated: GeneratedFile) -> None:
    """Cancel a queued generation at once, or ask the worker to stop a running one."""
    from procrastinate import jobs as procrastinate_jobs
    from procrastinate.contrib.django import app

    if generated.finished:
        return
    if generated.job_id is not None:
        app.job_manager.cancel_job_by_id(generated.job_id, abort=True)
        if app.job_manager.get_job_status(generated.job_id) != procrastinate_jobs.Status.CANCELLED:
            GeneratedFile.objects.filter(pk=generated.pk).exclude(status__in=GeneratedFile.FINISHED).update(
                progress_label="annulation demandée"
            )
            return
    generated_file_end(
        file_id=generated.pk, status=GeneratedFile.Status.CANCELLED, label="annulé à la demande"
    )


def generated_files_purge(*, now=None) -> int:
    """Delete the stored files that have expired (and what a failed or cancelled generation may have left);
    returns the number of files deleted. The records stay, « expiré », for the requester's page."""
    now = now or timezone.now()
    deleted = 0
    expired = GeneratedFile.objects.filter(status=GeneratedFile.Status.DONE, expires_at__lte=now)
    for generated in expired:
        if generated.storage_name and default_storage.exists(generated.storage_name):
            default_storage.delete(generated.storage_name)
            deleted += 1
    expired.update(status=GeneratedFile.Status.EXPIRED, storage_name="", progress_label="expiré")
    leftovers = GeneratedFile.objects.filter(
        status__in=[GeneratedFile.Status.FAILED, GeneratedFile.Status.CANCELLED, GeneratedFile.Status.EXPIRED]
    ).values_list("pk", flat=True)
    for pk in leftovers:
        folder = f"{STORAGE_DIR}/{pk}"
        try:
            _, names = default_storage.listdir(folder)
        except (FileNotFoundError, NotImplementedError):
            continue
        for leftover in names:
            default_storage.delete(f"{folder}/{leftover}")
            deleted += 1
    return deleted
