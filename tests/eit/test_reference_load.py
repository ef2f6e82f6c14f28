"""`tandem load_eit_reference`: the European List of Waste from the files of ../shared (read in place), a dry run
writes nothing, a second load changes nothing, hazardous flags and headings as in the list."""

import csv
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from tandem.eit.models import WasteCode

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = StringIO()
    call_command("load_eit_reference", *args, stdout=out)
    return out.getvalue()


def test_load_dry_run_then_idempotent(eit_dir):
    with (eit_dir / "ewc_low_codes_fr_en.csv").open(encoding="utf-8") as handle:
        entries = {row["code"]: row["hazardous"] == "true" for row in csv.DictReader(handle)}
    with (eit_dir / "ewc_low_headings_fr_en.csv").open(encoding="utf-8") as handle:
        headings = {row["code"] for row in csv.DictReader(handle)}
    assert "seraient créé(s)" in run("--reference", str(eit_dir), "--dry-run")
    assert not WasteCode.objects.exists()
    assert f"{len(entries) + len(headings)} code(s) ont été créé(s)" in run("--reference", str(eit_dir))
    assert dict(WasteCode.objects.filter(level="entry").values_list("code", "hazardous")) == entries
    assert set(WasteCode.objects.exclude(level="entry").values_list("code", flat=True)) == headings
    assert WasteCode.objects.get(code="070104").display == "07 01 04*"
    assert "déjà à jour" in run("--reference", str(eit_dir))


def test_missing_directory_is_a_french_error(tmp_path):
    with pytest.raises(CommandError, match="introuvable"):
        run("--reference", str(tmp_path / "absent"))
