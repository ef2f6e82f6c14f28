"""Running the reference publicodes engine (npm, pinned in package.json) from the tests: one Node process."""

import json
import shutil
import subprocess

import pytest

from tests.conftest import REPO

REFERENCE_SCRIPT = REPO / "tests/catalogue/publicodes_reference.mjs"
REFERENCE_UNDEFINED = "__undefined__"


def run_reference(payload: dict) -> dict:
    node = shutil.which("node")
    if not node:
        pytest.fail("Node.js est introuvable : il faut `node` pour le moteur publicodes de référence.")
    if not (REPO / "node_modules/publicodes").exists():
        pytest.fail("Le paquet npm publicodes n'est pas installé : lancer `make assets` (npm ci).")
    done = subprocess.run(
        [node, str(REFERENCE_SCRIPT)], input=json.dumps(payload), capture_output=True, text=True, cwd=REPO
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)
