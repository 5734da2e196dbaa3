"""The number of SQL statements of the hot paths is pinned: it does not grow with the
size of a client's timeline (no N+1), and a change that adds queries shows up here."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import event

from .conftest import Backend
from .webhook_helpers import evento, factura, send

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _poblar(api: httpx.Client, cliente_id: str, n: int) -> None:
    for i in range(n):
        assert (
            api.post(
                f"/api/clientes/{cliente_id}/contactos",
                json={"nombre_completo": f"Persona {i}", "rol": "Compras"},
            ).status_code
            == 201
        )
        assert (
            api.post(
                f"/api/clientes/{cliente_id}/actividades",
                json={"tipo": "llamada", "titulo": f"Llamada {i}", "fecha": "2026-02-20T10:00:00"},
            ).status_code
            == 201
        )
        assert (
            api.post(
                f"/api/clientes/{cliente_id}/oportunidades",
                json={"nombre_proyecto": f"Proyecto {i}", "monto_estimado": 1000},
            ).status_code
            == 201
        )
    meses = [f"2025-{(i % 12) + 1:02d}" for i in range(n)]
    facturas = [
        factura(
            f"{cliente_id}_f{i}",
            cliente_id=cliente_id,
            fecha_emision=f"{mes}-05",
            base=100,
            total=121,
            fecha_pago=f"{mes}-20",
        )
        for i, mes in enumerate(meses)
    ]
    assert api.post("/api/facturas/importar", json=facturas).status_code == 200


def _contar(db: Backend, accion: Callable[[], httpx.Response]) -> int:
    db.statements.clear()
    response = accion()
    assert response.status_code in (200, 201), response.text
    return len(db.statements)


@pytest.fixture
def dos_clientes(db: Backend, api: httpx.Client, make_cliente: Any) -> tuple[str, str]:
    db.clock.set(NOW)
    pequeno = make_cliente(id="pequeno")["id"]
    grande = make_cliente(id="grande")["id"]
    _poblar(api, pequeno, 1)
    _poblar(api, grande, 25)
    # The steady state: the daily recompute has stored the VIP threshold.
    assert api.post("/api/salud/recalcular").status_code == 200
    return pequeno, grande


def test_client_360_statements_do_not_grow_with_the_client(
    db: Backend, api: httpx.Client, dos_clientes: tuple[str, str]
) -> None:
    pequeno, grande = dos_clientes
    counts = [_contar(db, lambda c=c: api.get(f"/api/clientes/{c}")) for c in (pequeno, grande)]
    assert counts[0] == counts[1]
    assert counts[0] == EXPECTED["360"][db.name]


def test_client_list_statements_do_not_grow_with_the_page(
    db: Backend, api: httpx.Client, make_cliente: Any
) -> None:
    make_cliente()
    uno = _contar(db, lambda: api.get("/api/clientes/", params={"ordenar_por": "ltv"}))
    for _ in range(30):
        make_cliente()
    muchos = _contar(db, lambda: api.get("/api/clientes/", params={"ordenar_por": "ltv"}))
    assert uno == muchos == EXPECTED["lista"][db.name]


def test_webhook_statements_do_not_grow_with_the_ledger(
    db: Backend, api: httpx.Client, dos_clientes: tuple[str, str]
) -> None:
    pequeno, grande = dos_clientes
    counts = [
        _contar(db, lambda c=c: send(api, evento("emitida", factura_id=f"{c}_nueva", cliente_id=c,
                                                 fecha_emision="2026-03-01"), now=NOW))
        for c in (pequeno, grande)
    ]  # fmt: skip
    assert counts[0] == counts[1]
    assert counts[0] == EXPECTED["webhook"][db.name]


def test_search_statements_are_the_list_s_whatever_the_term(
    db: Backend, api: httpx.Client, make_cliente: Any
) -> None:
    """A rare term, a common one, one too short for the trigram index, one with no match:
    a count and a page each (issue 14.3)."""
    make_cliente(nombre_empresa="Zafiro Azul S.L.")
    for _ in range(5):
        make_cliente()
    api.get("/api/clientes/", params={"q": "zafiro"})  # the index is looked up once per engine
    counts = {
        q: _contar(db, lambda q=q: api.get("/api/clientes/", params={"q": q}))
        for q in ("zafiro", "empresa", "em", "zzzz")
    }
    assert set(counts.values()) == {EXPECTED["busqueda"][db.name]}, counts


# SQLite counts one more: its explicit BEGIN IMMEDIATE (see db.py).
EXPECTED: dict[str, dict[str, int]] = {
    # Issue 14.1: the stored health row, not the engines: the client with its health row
    # (one join), its contacts, open opportunities and recent activities (12/11 before).
    # One more since it is kept rendered (`clientes.cache`): the stamp after building it.
    # The check before, on a driver connection of its own, is not counted here: a warm
    # read is that statement alone (`tests/clientes/test_cache_360.py`).
    "360": {"sqlite": 6, "postgresql": 5},
    "lista": {"sqlite": 3, "postgresql": 2},
    "busqueda": {"sqlite": 3, "postgresql": 2},
    # One primary-key lookup more since issue 15.7: is this webhook id an erased client's?
    # Three more since contract §7: the client's ledger is settled again from its invoices
    # and payments (2), and the health engine reads the live payments (1). One more since
    # issue 14.1: the health refresh locks the clients it writes (the hook's lock is the
    # hook's own; every other writer needs the refresh's). One fewer since issue 14's R3
    # profile: the client's new LTV is written with its state and risk (one UPDATE, not two);
    # one fewer: the refresh does not lock again the client the hook locked; and one fewer:
    # a single client's health row is updated without looking it up first. Two fewer since
    # issue 14's second R3 pass: the client is found and locked in one statement, and the
    # erased-client check is part of the INSERT that records the webhook id. One fewer in
    # the third: the client's `fecha_actualizacion` goes out in the refresh's UPDATE; and
    # two fewer: a new invoice's timeline entries are not looked up (it can have none),
    # and the activity dates of the window and the newest one are read in one statement;
    # and one fewer: the health facts read the invoices with their live payments (a join).
    # Two fewer in the fourth: the pending tasks, the activity dates and the latest won
    # deal are read in one statement (three before).
    "webhook": {"sqlite": 17, "postgresql": 16},
}


def test_a_new_invoice_is_written_in_three_flushes(
    db: Backend, api: httpx.Client, dos_clientes: tuple[str, str]
) -> None:
    """Each flush of the unit of work has a fixed cost, so their number is pinned like the
    statements': a new invoice takes three (the invoice, before the settlement reads the
    ledger; its timeline entry, before the refresh reads the facts; the client's row, once,
    at the commit). The settlement's own flush finds nothing left to write."""
    pequeno, _ = dos_clientes
    flushes: list[str] = []

    def contar(_session: Any, _contexto: Any) -> None:
        flushes.append("flush")

    factory = db.app.state.session_factory
    event.listen(factory, "after_flush", contar)
    try:
        payload = evento("emitida", factura_id="nueva_2", cliente_id=pequeno,
                         fecha_emision="2026-03-01")  # fmt: skip
        assert send(api, payload, now=NOW).status_code == 200
    finally:
        event.remove(factory, "after_flush", contar)
    assert len(flushes) == 3, flushes
    timeline = api.get(f"/api/clientes/{pequeno}/actividades", params={"limite": 100}).json()
    assert any(a["tipo"] == "factura" and "nueva/2" in a["titulo"] for a in timeline)
