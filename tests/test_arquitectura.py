"""House rules of architecture.md that import-linter cannot state: module size, who
commits, who raises HTTP errors."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "smartbilling_crm"
MODULOS = sorted(SRC.rglob("*.py"))
MAX_LINEAS = 450


def _rel(path: Path) -> str:
    return str(path.relative_to(SRC))


@pytest.mark.parametrize("modulo", MODULOS, ids=_rel)
def test_no_source_module_is_over_the_size_limit(modulo: Path) -> None:
    lineas = len(modulo.read_text(encoding="utf-8").splitlines())
    assert lineas <= MAX_LINEAS, f"{_rel(modulo)}: {lineas} líneas; divídelo por responsabilidad"


def test_only_the_unit_of_work_commits() -> None:
    culpables = [
        _rel(m)
        for m in MODULOS
        if re.search(r"\.commit\(\)", m.read_text(encoding="utf-8")) and _rel(m) != "kit/db.py"
    ]
    assert culpables == []


def test_http_errors_are_raised_only_by_endpoints_and_kit() -> None:
    culpables = [
        _rel(m)
        for m in MODULOS
        if "HTTPException" in m.read_text(encoding="utf-8")
        and not (m.name == "endpoints.py" or _rel(m).startswith("kit/"))
    ]
    assert culpables == []
