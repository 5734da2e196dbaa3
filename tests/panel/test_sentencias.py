"""No panel page issues a query per row: the statements of Hoy and of a ficha are pinned,
and they are the same for a small and a big portfolio or client (as
tests/test_sql_statements.py does for the API)."""

from __future__ import annotations

from typing import Any

import httpx

from ..conftest import Backend
from ..test_sql_statements import NOW, _poblar
from .conftest import cargar_demo


def _contar(db: Backend, panel: httpx.Client, ruta: str) -> int:
    db.statements.clear()
    response = panel.get(ruta)
    assert response.status_code == 200, response.text
    return len(db.statements)


def test_hoy_statements_do_not_grow_with_the_portfolio(
    db: Backend, panel: httpx.Client, make_cliente: Any
) -> None:
    cargar_demo(db)  # ~30 clients, dozens of alerts, invoices expected this week
    demo = _contar(db, panel, "/")
    for _ in range(15):
        make_cliente()  # prospects with nobody to pay: more alerts, more clients
    mas = _contar(db, panel, "/")
    assert demo == mas == ESPERADAS["hoy"][db.name]


def test_ficha_statements_do_not_grow_with_the_client(
    db: Backend, panel: httpx.Client, api: httpx.Client, make_cliente: Any
) -> None:
    db.clock.set(NOW)
    pequeno = make_cliente(id="pequeno")["id"]
    grande = make_cliente(id="grande")["id"]
    _poblar(api, pequeno, 1)
    _poblar(api, grande, 25)
    assert api.post("/api/salud/recalcular").status_code == 200
    counts = [_contar(db, panel, f"/clientes/{c}") for c in (pequeno, grande)]
    assert counts[0] == counts[1] == ESPERADAS["ficha"][db.name]


def test_list_and_pipeline_statements_are_fixed(
    db: Backend, panel: httpx.Client, make_cliente: Any
) -> None:
    make_cliente()
    lista, pipeline = _contar(db, panel, "/clientes"), _contar(db, panel, "/pipeline")
    cargar_demo(db)
    assert _contar(db, panel, "/clientes") == lista == ESPERADAS["lista"][db.name]
    assert _contar(db, panel, "/pipeline") == pipeline == ESPERADAS["pipeline"][db.name]


# SQLite counts one more: its explicit BEGIN (see kit/db.py). Each page also looks up the
# session's user once. Hoy: the dashboard's aggregates, a page of alerts, the snoozes, and
# the stored suggested actions of the clients shown (one query).
ESPERADAS: dict[str, dict[str, int]] = {
    # Issue 14.1: pages read the stored health rows, no engine runs (24/23 and 18/17
    # before); issue 14.3: the dashboard reads its running totals in one statement (four
    # fewer on Hoy). The ficha: the 360 (4), the timeline page and its total (#13), the
    # stored recommendations (the health row again and the alerts), the invoices for charts.
    "hoy": {"sqlite": 11, "postgresql": 10},
    "ficha": {"sqlite": 12, "postgresql": 11},
    "lista": {"sqlite": 4, "postgresql": 3},
    "pipeline": {"sqlite": 6, "postgresql": 5},  # the open total is the sum of the stage rows
}
