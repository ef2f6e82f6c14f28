"""The suite's expensive set-ups are prepared once per run (tests/prepared_db.py): a test that needs the demo takes
the `demo` fixture instead of generating it (minutes per call). A test may still run the generator on top of the
prepared demo (idempotency), or run the foundation alone with its extensions removed (`DEMO_EXTENSIONS`)."""

import ast

from tests.conftest import REPO


def _calls(node: ast.AST, name: str) -> bool:
    return any(
        isinstance(n, ast.Call) and getattr(n.func, "id", getattr(n.func, "attr", None)) == name
        for n in ast.walk(node)
    )


def generating_tests(source: str) -> list[str]:
    """Test functions and fixtures that call `demo_generate` without taking `demo` nor removing the extensions."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.FunctionDef) or not _calls(node, "demo_generate"):
            continue
        takes_demo = "demo" in {arg.arg for arg in node.args.args}
        foundation_only = "DEMO_EXTENSIONS" in ast.unparse(node)
        if not (takes_demo or foundation_only):
            found.append(node.name)
    return found


def test_the_checker_tells_a_prepared_demo_from_a_generated_one():
    generated = "def test_a():\n    result = demo_generate(scale='demo')\n    assert result"
    on_top = "def test_b(demo):\n    assert demo_generate(scale='demo').extensions['x'] == {}"
    foundation = (
        "def test_c(monkeypatch):\n    monkeypatch.setattr(s, 'DEMO_EXTENSIONS', [])\n    demo_generate()"
    )
    assert generating_tests(generated) == ["test_a"]
    assert generating_tests(on_top) == generating_tests(foundation) == []


def test_no_test_generates_the_demo_to_set_itself_up():
    offenders = [
        f"{path.relative_to(REPO)}::{name}"
        for path in sorted((REPO / "tests").rglob("*.py"))
        if path.name != "prepared_db.py"  # the recipe itself
        for name in generating_tests(path.read_text(encoding="utf-8"))
    ]
    assert not offenders, (
        "prenez la fixture `demo` (démo préparée une fois par exécution, tests/prepared_db.py) au lieu "
        f"d'appeler demo_generate : {offenders}"
    )
