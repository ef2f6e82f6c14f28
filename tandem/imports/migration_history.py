"""Moves the run records of the former run models (land.ImportRun, companies.RegistryImport,
territories.GeographyLoad) into imports.ImportRun, keeping their history. Used by those apps' migrations."""

from datetime import timedelta

from django.core.files.base import ContentFile
from django.db import connection

LAND_KINDS = {"sites_economiques": "land_sites", "friches": "land_friches"}


def _total(counts: dict, key: str) -> int:
    return sum(int((c or {}).get(key) or 0) for c in counts.values())


def _keep_dates(New, run, created_at, updated_at) -> None:
    New.objects.filter(pk=run.pk).update(created_at=created_at, updated_at=updated_at)


def reset_sequence() -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence('imports_importrun', 'id'), "
            "COALESCE((SELECT MAX(id) FROM imports_importrun), 0) + 1, false)"
        )


def land_runs_forward(apps, schema_editor) -> None:
    """Each land run keeps its id (its page address and its queued job's argument stay valid)."""
    Old = apps.get_model("land", "ImportRun")
    New = apps.get_model("imports", "ImportRun")
    taken = set(New.objects.values_list("id", flat=True))  # empty on an upgrade; kept safe otherwise
    olds = list(Old.objects.order_by("id"))
    for old in [o for o in olds if o.pk not in taken]:
        _land_run_move(apps, old, keep_id=True)
    reset_sequence()
    for old in [o for o in olds if o.pk in taken]:
        _land_run_move(apps, old, keep_id=False)


def _land_run_move(apps, old, *, keep_id: bool) -> None:
    New = apps.get_model("imports", "ImportRun")
    Vintage = apps.get_model("land", "Vintage")
    counts = old.counts or {}
    written = old.status == "done" and not old.dry_run
    new = New.objects.create(
        id=old.pk if keep_id else None,
        kind=LAND_KINDS.get(old.standard, "land"),
        created_by_id=old.created_by_id,
        organization_id=old.actor_org_id,
        owner_id=old.owner_id,
        files=old.files or [],
        options={
            **(old.options or {}),
            "skip_invalid": old.skip_invalid,
            "epci": (old.options or {}).get("epci") or old.epci_id,
        },
        dry_run=old.dry_run,
        status="done" if old.status == "unchanged" else old.status,
        progress_percent=old.progress_percent,
        progress_label=old.progress_label,
        created=_total(counts, "added") if written else 0,
        updated=_total(counts, "changed") if written else 0,
        unchanged=_total(counts, "unchanged"),
        rejected=_total(counts, "rejected"),
        details={"tables": counts, "removed": _total(counts, "removed") if written else 0},
        problems=old.problems or [],
        errors_count=old.errors_count,
        warnings_count=old.warnings_count,
        started_at=old.started_at,
        finished_at=old.finished_at,
        job_id=old.job_id,
    )
    if old.rejects_csv:
        new.rejects.save(f"rejets-import-{new.pk}.csv", ContentFile(old.rejects_csv.encode()), save=True)
    _keep_dates(New, new, old.created_at, old.updated_at)
    Vintage.objects.filter(pk=old.vintage_id).update(run_id=new.pk)
    Vintage.objects.filter(provenance__import_run=old.pk).update(run_id=new.pk)


def registry_runs_forward(apps, schema_editor) -> None:
    Registry = apps.get_model("companies", "RegistryImport")
    New = apps.get_model("imports", "ImportRun")
    for old in Registry.objects.order_by("id").iterator():
        level = "warning" if old.kind == "bodacc" else "error"
        new = New.objects.create(
            kind=old.kind,
            files=[{"name": old.file_name, "size": old.file_size, "sha256": old.file_sha256}],
            options={"departements": old.departements or []},
            status="done",
            progress_percent=100,
            progress_label="terminé",
            created=old.created,
            updated=old.updated,
            unchanged=old.unchanged,
            rejected=old.rows_rejected,
            problems=[{"file": old.file_name, "level": level, **p} for p in old.problems or []],
            errors_count=0 if level == "warning" else len(old.problems or []),
            warnings_count=len(old.problems or []) if level == "warning" else 0,
            started_at=old.created_at,
            finished_at=old.created_at + timedelta(seconds=old.duration_s or 0),
        )
        _keep_dates(New, new, old.created_at, old.updated_at)
        Registry.objects.filter(pk=old.pk).update(run_id=new.pk)
    reset_sequence()


def geography_loads_forward(apps, schema_editor) -> None:
    Load = apps.get_model("territories", "GeographyLoad")
    New = apps.get_model("imports", "ImportRun")
    for old in Load.objects.order_by("id").iterator():
        summary = old.summary or {}
        tables = {
            name: {
                "added": c.get("created", 0),
                "changed": c.get("updated", 0),
                "unchanged": c.get("unchanged", 0),
            }
            for name, c in summary.items()
        }
        new = New.objects.create(
            kind="geography",
            files=[
                {"name": s.get("name") or s.get("path") or "", "size": 0, "sha256": ""} for s in old.sources
            ],
            options={"cog_year": old.cog_year, "sources": old.sources},
            status="done",
            progress_percent=100,
            progress_label="terminé",
            created=_total(tables, "added"),
            updated=_total(tables, "changed"),
            unchanged=_total(tables, "unchanged"),
            details={"tables": tables, "removed": sum(int(c.get("retired", 0)) for c in summary.values())},
            started_at=old.created_at,
            finished_at=old.created_at,
        )
        _keep_dates(New, new, old.created_at, old.updated_at)
