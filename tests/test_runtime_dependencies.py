"""Application code imports only distributions that the runtime lock (requirements.lock) pins.

Every module under tandem/ and config/ is parsed (ast, so nothing is imported); each absolute import's top-level
name that is neither the standard library nor Tandem itself is mapped to its distribution with
importlib.metadata.packages_distributions() (the dev virtualenv has every distribution installed) and must be
pinned in requirements.lock. A package that only requirements-dev.lock installs (pandas was one) breaks
`make demo` on a fresh machine; tests/ and bench/ may import dev packages.
"""

import ast
import re
import sys
from importlib.metadata import packages_distributions
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
FIRST_PARTY = {"tandem", "config"}


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def runtime_pins() -> set[str]:
    pins = set()
    for line in (REPO / "requirements.lock").read_text(encoding="utf-8").splitlines():
        match = re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?==", line)
        if match:
            pins.add(canonical(match.group(1)))
    return pins


def imported_top_levels(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def application_imports() -> dict[str, list[str]]:
    """Third-party top-level import name -> the application files importing it."""
    users: dict[str, list[str]] = {}
    for package in sorted(FIRST_PARTY):
        for path in sorted((REPO / package).rglob("*.py")):
            for name in imported_top_levels(path):
                if name in FIRST_PARTY or name in sys.stdlib_module_names or name == "__future__":
                    continue
                users.setdefault(name, []).append(str(path.relative_to(REPO)))
    return users


def test_application_imports_only_runtime_pinned_distributions():
    pins = runtime_pins()
    known = packages_distributions()
    users = application_imports()
    # The walk really sees the application's imports (a broken walk would pass vacuously).
    assert {"django", "rest_framework", "numpy", "pandas"} <= set(users)
    problems = []
    for name, files in sorted(users.items()):
        distributions = known.get(name)
        if not distributions:
            problems.append(f"{name}: no installed distribution provides it (imported by {files[0]})")
            continue
        if not any(canonical(d) in pins for d in distributions):
            problems.append(
                f"{name} ({', '.join(distributions)}) is not pinned in requirements.lock; imported by "
                + ", ".join(files[:3])
            )
    assert not problems, "\n".join(problems)


def test_the_check_catches_a_dev_only_import(tmp_path):
    """pytest is pinned in requirements-dev.lock only: an application module importing it must be refused."""
    module = tmp_path / "module.py"
    module.write_text(
        "import pytest\nfrom hypothesis import given\nfrom . import sibling\n", encoding="utf-8"
    )
    names = imported_top_levels(module)
    assert names == {"pytest", "hypothesis"}
    pins = runtime_pins()
    known = packages_distributions()
    assert not any(canonical(d) in pins for d in known["pytest"])
    assert not any(canonical(d) in pins for d in known["hypothesis"])
