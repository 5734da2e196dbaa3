"""Fixtures of the health tests."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from smartbilling_crm.salud import service as salud_service


@pytest.fixture
def motores(monkeypatch: pytest.MonkeyPatch) -> Iterator[Counter[str]]:
    """How many times each engine ran, by name, while the test runs.

    The server runs in this process (a thread), so the engines are counted by wrapping
    the names the health service calls."""
    contador: Counter[str] = Counter()

    def contar(nombre: str, original: Callable[..., Any]) -> Callable[..., Any]:
        def envoltura(*args: Any, **kwargs: Any) -> Any:
            contador[nombre] += 1
            return original(*args, **kwargs)

        return envoltura

    monkeypatch.setattr(
        salud_service, "calcular_salud", contar("salud", salud_service.calcular_salud)
    )
    monkeypatch.setattr(
        salud_service.reglas, "generar", contar("reglas", salud_service.reglas.generar)
    )
    yield contador
