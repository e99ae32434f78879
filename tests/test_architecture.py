"""docs/ARCHITECTURE.md stays true: every module is on the map, and imports point one way."""

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MAP = (ROOT / "docs" / "ARCHITECTURE.md").read_text()
UI_MAP = (ROOT / "fieldapp" / "ui" / "__init__.py").read_text()

# What each layer may import of the project (ui → sync → store → domain; central → domain).
ALLOWED = {
    "fieldapp.domain": {"fieldapp.domain"},
    "fieldapp.store": {"fieldapp.domain", "fieldapp.store", "fieldapp.resources"},
    "fieldapp.sync": {"fieldapp.domain", "fieldapp.store", "fieldapp.sync", "fieldapp.resources"},
    "central": {"central", "fieldapp.domain", "fieldapp.resources"},
}


def modules(package: str) -> list[Path]:
    return sorted(p for p in (ROOT / package).rglob("*.py") if p.name != "__init__.py")


def project_imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        names = (
            [a.name for a in node.names] if isinstance(node, ast.Import)
            else [node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level
            else []
        )
        found.update(n for n in names if n.split(".")[0] in ("fieldapp", "central"))
    return found


def test_every_module_is_on_the_map() -> None:
    missing = []
    for package, text in (("fieldapp/domain", MAP), ("fieldapp/store", MAP),
                          ("fieldapp/sync", MAP), ("central", MAP), ("fieldapp/ui", UI_MAP)):
        for path in modules(package):
            if not re.search(rf"\b{re.escape(path.stem)}\.py\b", text):
                missing.append(str(path.relative_to(ROOT)))
    assert missing == []


def test_imports_point_one_way() -> None:
    wrong = []
    for layer, allowed in ALLOWED.items():
        for path in modules(layer.replace(".", "/")):
            for name in project_imports(path):
                if not any(name == a or name.startswith(a + ".") for a in allowed):
                    wrong.append(f"{path.relative_to(ROOT)} imports {name}")
    assert wrong == []


def test_the_sync_protocol_is_pure() -> None:
    """Like h11's state machine: no I/O layer, only the domain's types."""
    names = project_imports(ROOT / "fieldapp" / "sync" / "protocol.py")
    assert names and all(n.startswith("fieldapp.domain.") for n in names)


def test_the_wire_format_is_pure_and_shared() -> None:
    """One description of what laptop and endpoint send each other, used by both sides."""
    wire = ROOT / "fieldapp" / "domain" / "wire.py"
    tree = ast.parse(wire.read_text())
    imported = {
        a.name for node in ast.walk(tree) if isinstance(node, ast.Import) for a in node.names
    } | {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert not imported & {"socket", "sqlite3", "sqlcipher3", "requests", "fastapi", "pydantic",
                           "starlette", "os", "io", "pathlib", "time", "datetime"}
    assert "fieldapp.domain.wire" in project_imports(ROOT / "fieldapp" / "sync" / "protocol.py")
    for user in ("api.py", "app.py"):
        assert any(
            isinstance(node, ast.ImportFrom) and node.module == "fieldapp.domain"
            and "wire" in {a.name for a in node.names}
            for node in ast.walk(ast.parse((ROOT / "central" / user).read_text()))
        )
