"""The layer rules of README "Layout", checked on the import graph (read with ``ast``).

pages → ui → services (writes) / db.queries (reads) → db → domain. Each rule below is one
table row; a violation names the importing file, the line and the module imported.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("app", "config", "domain", "db", "services", "ui", "pages", "tests", "bench", "scripts")


@dataclass(frozen=True)
class Import:
    """One imported module (and, for ``from m import a``, each name) in one file."""

    file: str  # module name of the importing file, e.g. "pages.ledger"
    line: int
    module: str  # absolute module imported
    name: str | None  # the name taken from it (``from module import name``)


def _module_name(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _source_files() -> list[Path]:
    files = [ROOT / "app.py", ROOT / "config.py"]
    for package in PACKAGES:
        folder = ROOT / package
        if folder.is_dir():
            files += sorted(p for p in folder.rglob("*.py") if "migrations" not in p.parts)
    return files


def _imports(path: Path) -> list[Import]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    me = _module_name(path)
    found: list[Import] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [Import(me, node.lineno, alias.name, None) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative import: resolve against the importing package
                package = me.split(".")[: -node.level if path.name != "__init__.py" else None]
                if path.name == "__init__.py" and node.level > 1:
                    package = package[: -(node.level - 1)]
                base = ".".join([*package, base] if base else package)
            for alias in node.names:
                found.append(Import(me, node.lineno, base, alias.name))
    return found


GRAPH = [imp for path in _source_files() for imp in _imports(path)]


def _is(module: str, *prefixes: str) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


def _target(imp: Import) -> str:
    """The module the import reaches, counting ``from pkg import submodule`` as that submodule."""
    if imp.name and (ROOT / Path(*imp.module.split("."), imp.name)).with_suffix(".py").exists():
        return f"{imp.module}.{imp.name}"
    if imp.name and (ROOT / Path(*imp.module.split("."), imp.name) / "__init__.py").exists():
        return f"{imp.module}.{imp.name}"
    return imp.module


def _page_may_import(target: str) -> bool:
    """Pages: services (writes), the read layer, ui, domain, config, and outside libraries."""
    ours = target.split(".")[0] in PACKAGES
    if not ours:
        return True
    return _is(target, "services", "db.queries", "ui", "domain", "config")


RULES: dict[str, tuple[str, object]] = {
    "domain is pure": (
        "domain",
        lambda t: not _is(t, "sqlalchemy", "streamlit", "db", "services", "ui", "pages", "app"),
    ),
    "services import no streamlit": (
        "services",
        lambda t: not _is(t, "streamlit", "ui", "pages", "app"),
    ),
    "db imports no streamlit": ("db", lambda t: not _is(t, "streamlit", "ui", "pages")),
    "pages import only services, the read layer, ui and domain": ("pages", _page_may_import),
    "ui imports no page": ("ui", lambda t: not _is(t, "pages", "app")),
}


def _violations(layer: str, allowed: object) -> list[str]:
    check = allowed  # a predicate on the imported module's name
    assert callable(check)
    return [
        f"{imp.file}:{imp.line} imports {_target(imp)}"
        for imp in GRAPH
        if _is(imp.file, layer) and not check(_target(imp))
    ]


@pytest.mark.parametrize("rule", sorted(RULES))
def test_layer_rule(rule: str) -> None:
    layer, allowed = RULES[rule]
    assert _violations(layer, allowed) == []


def test_only_the_demo_sets_up_through_services_from_db() -> None:
    """db is below services; ``db.demo`` alone sits above them: the demo 街道 is set up through
    the admin's setup services (issue 13), like any real 街道."""
    found = [
        f"{imp.file}:{imp.line} imports {_target(imp)}"
        for imp in GRAPH
        if _is(imp.file, "db") and not _is(imp.file, "db.demo") and _is(_target(imp), "services")
    ]
    assert found == []


DEMO_ENTRY_POINTS = {
    "ui.context": "generates the demo data when demo mode seeds it (``_engine_cached``)",
    "ui.auth": "lists the demo accounts on the login page in demo mode",
}
"""The app's only importers of ``db.demo``, each inside a demo-mode branch (bench/ and tests/
use it freely: they are not the app)."""


def _module_level(path: Path) -> set[int]:
    """Line numbers of the imports a module runs when it is imported (not inside a function)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    lines: set[int] = set()

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
                continue
            if isinstance(child, ast.Import | ast.ImportFrom):
                lines.add(child.lineno)
            visit(child)

    visit(tree)
    return lines


def test_only_demo_mode_entry_points_import_db_demo() -> None:
    """Nothing in the app reads ``db.demo`` outside demo mode: besides the demo itself, only
    the entry points above import it, and only inside a function (their demo-mode branch)."""
    app = ("app", "config", "domain", "db", "services", "ui", "pages")
    importers = {
        imp.file: imp.line
        for imp in GRAPH
        if _is(imp.file, *app) and not _is(imp.file, "db.demo") and _is(_target(imp), "db.demo")
    }
    assert set(importers) <= set(DEMO_ENTRY_POINTS), importers
    for module in importers:
        path = ROOT / Path(*module.split(".")).with_suffix(".py")
        top = _module_level(path)
        lazy = [imp.line for imp in GRAPH if imp.file == module and _is(_target(imp), "db.demo")]
        assert lazy and not top & set(lazy), f"{module} imports db.demo at module level"


def test_the_demo_import_rule_sees_a_module_level_import(tmp_path: Path) -> None:
    """The checker's control: a module-level import is seen, one inside a function is not."""
    probe = tmp_path / "probe.py"
    probe.write_text(
        "import os\nif True:\n    from db.demo import X\n\ndef f():\n    from db.demo import Y\n",
        encoding="utf-8",
    )
    assert _module_level(probe) == {1, 3}


def test_no_page_imports_another_page() -> None:
    found = [
        f"{imp.file}:{imp.line} imports {_target(imp)}"
        for imp in GRAPH
        if _is(imp.file, "pages") and _is(_target(imp), "pages") and _target(imp) != "pages"
    ]
    assert found == []


def test_no_private_name_is_imported_from_another_module() -> None:
    found = [
        f"{imp.file}:{imp.line} takes {imp.name} from {imp.module}"
        for imp in GRAPH
        if imp.name
        and imp.name.startswith("_")
        and not imp.name.startswith("__")
        and imp.module.split(".")[0] in PACKAGES
        and imp.module != imp.file
    ]
    assert found == []


def test_no_test_module_imports_another_test_module() -> None:
    found = [
        f"{imp.file}:{imp.line} imports {_target(imp)}"
        for imp in GRAPH
        if _is(imp.file, "tests")
        and re.fullmatch(r"tests(\.\w+)*\.test_\w+", _target(imp))
        and _target(imp) != imp.file
    ]
    assert found == []


def test_the_checker_sees_a_violation() -> None:
    """The graph is read: a fabricated page importing ``db.models`` breaks the page rule."""
    fake = Import("pages.fake", 1, "db.models", "Case")
    assert not _page_may_import(_target(fake))
    assert _page_may_import(_target(Import("pages.fake", 1, "db.queries.kpis", "Scope")))
    assert len(GRAPH) > 500


def test_readme_layout_names_every_layer() -> None:
    """README "Layout" describes the layers these tests enforce."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    layout = readme.split("## Layout", 1)[1].split("\n## ", 1)[0]
    for folder in ("domain/", "db/", "db/queries/", "services/", "ui/", "pages/", "tests/"):
        assert folder in layout, folder
    assert "tests/test_architecture.py" in layout
