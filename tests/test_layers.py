"""domain/ may use eventsourcing's domain model, never its persistence or application layers."""

from __future__ import annotations

import ast
from pathlib import Path

DOMAIN = Path(__file__).resolve().parent.parent / "domain"
ALLOWED = {"eventsourcing.domain", "eventsourcing.utils"}


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_domain_uses_only_the_domain_part_of_eventsourcing() -> None:
    used = {
        name
        for path in DOMAIN.glob("*.py")
        for name in _imports(path)
        if name.split(".")[0] == "eventsourcing"
    }
    assert used, "the check must see domain/'s eventsourcing imports"
    assert used <= ALLOWED, f"domain/ imports {sorted(used - ALLOWED)}"
