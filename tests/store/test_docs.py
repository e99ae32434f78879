"""docs/store.md and the code do not drift apart: every public method and table is described."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

from fieldapp.store import Profiles, Store, schema

DOC = (Path(__file__).resolve().parents[2] / "docs" / "store.md").read_text()


def public(cls: type) -> list[str]:
    return [name for name, _ in inspect.getmembers(cls) if not name.startswith("_")]


def test_every_public_method_is_in_the_docs() -> None:
    missing = [f"{cls.__name__}.{name}" for cls in (Store, Profiles) for name in public(cls)
               if not re.search(rf"\b{name}\b", DOC)]
    assert missing == []


def test_every_table_is_in_the_docs() -> None:
    tables = set(re.findall(r"CREATE TABLE (\w+)", inspect.getsource(schema)))
    assert len(tables) >= 12
    assert sorted(t for t in tables if f"`{t}`" not in DOC) == []
