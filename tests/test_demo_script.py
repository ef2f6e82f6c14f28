"""`make demo` (scripts/demo.sh) as its users meet it: the « Emplois et compétences » pages hold France
Travail's data (the script's own import lines, run here on the shared files, fill them), and the e-mails the
demo sends link to the demo's server (TANDEM_SITE_URL set before the generator sends any)."""

import re
import shlex
from pathlib import Path

import pytest
from django.core.management import call_command

from tandem.organizations.models import Role
from tests.conftest import DATA
from tests.factories import make_member, region_org

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "demo.sh"


def script_lines() -> list[str]:
    """The script's lines with their continuations joined."""
    return SCRIPT.read_text().replace("\\\n", " ").splitlines()


def test_the_site_address_is_set_before_the_generator_sends_mail():
    lines = script_lines()
    export = next(i for i, line in enumerate(lines) if re.match(r"\s*export TANDEM_SITE_URL=", line))
    generator = next(i for i, line in enumerate(lines) if "generate_demo" in line and "manage" in line)
    assert export < generator
    assert "http://$host:$port" in lines[export]


@pytest.mark.django_db
def test_the_script_imports_fill_the_skills_pages(client):
    commands = [
        shlex.split(line.split("tandem.manage", 1)[1].replace("$economy", str(DATA / "real" / "economy")))
        for line in script_lines()
        if re.search(r"tandem\.manage import_(bmo|rome|tensions)\b", line)
    ]
    assert sorted(c[0] for c in commands) == ["import_bmo", "import_rome", "import_tensions"]
    client.force_login(make_member(region_org(), Role.LECTEUR))
    assert "Aucune enquête BMO importée." in client.get("/competences/").content.decode()
    for name, *args in commands:
        call_command(name, *args)
    html = client.get("/competences/").content.decode()
    assert "Aucune enquête BMO importée." not in html
    assert "Moselle (57)" in html
    page = client.get("/competences/ze/4412/").content.decode()  # Nancy
    assert "Aucun indicateur de tension importé pour ce territoire." not in page
    assert "Aucune donnée BMO pour ce territoire." not in page
