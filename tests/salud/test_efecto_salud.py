"""The health refresh is one declared effect: a unit of work refreshes each client it
touched once, at commit; reads show the stored row and run no engine.

The engines are counted by the `motores` fixture (tests/salud/conftest.py)."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from typing import Any

import httpx

from ..conftest import Backend
from ..webhook_helpers import evento, factura, send

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def test_creating_a_client_runs_the_engines_once(
    db: Backend, api: httpx.Client, motores: Counter[str]
) -> None:
    db.clock.set(NOW)
    response = api.post("/api/clientes/", json={"nombre_empresa": "Uno S.L.", "email": "a@b.es"})
    assert response.status_code == 201
    assert response.json()["salud"]["salud_general"] == "excelente"
    # Stored (the alerts need the rules) and answered from the same evaluation.
    assert motores == Counter(salud=1, reglas=1)


def test_updating_a_client_runs_the_engines_once(
    db: Backend, api: httpx.Client, make_cliente: Any, motores: Counter[str]
) -> None:
    db.clock.set(NOW)
    cliente = make_cliente()
    motores.clear()
    response = api.patch(f"/api/clientes/{cliente['id']}", json={"sector_industria": "Hostelería"})
    assert response.status_code == 200
    assert motores == Counter(salud=1, reglas=1)


def test_a_webhook_event_runs_the_engines_once(
    db: Backend, api: httpx.Client, make_cliente: Any, motores: Counter[str]
) -> None:
    db.clock.set(NOW)
    make_cliente(id="abc123")
    motores.clear()
    response = send(api, evento("emitida", fecha_emision="2026-03-01"), now=NOW)
    assert response.status_code == 200 and response.json()["estado"] == "procesado"
    assert motores == Counter(salud=1, reglas=1)
    # ...and its effect is stored: the list shows the new LTV and state (the only
    # buyer of the portfolio is its top 10%).
    fila = api.get("/api/clientes/").json()["clientes"][0]
    assert fila["ltv"] == 2066.12 and fila["estado"] == "vip"


def test_reads_of_a_fresh_row_run_no_engine(
    db: Backend, api: httpx.Client, make_cliente: Any, motores: Counter[str]
) -> None:
    """Issue 14.1: the 360, `/salud` and `/recomendaciones` show the stored row."""
    db.clock.set(NOW)
    cliente = make_cliente()
    motores.clear()
    for ruta in ("", "/salud", "/recomendaciones"):
        assert api.get(f"/api/clientes/{cliente['id']}{ruta}").status_code == 200
    assert motores == Counter()


def test_a_backfill_of_many_invoices_refreshes_each_client_once(
    db: Backend, api: httpx.Client, make_cliente: Any, motores: Counter[str]
) -> None:
    db.clock.set(NOW)
    ids = [make_cliente(id=f"c{n}")["id"] for n in range(5)]
    motores.clear()
    facturas = [
        factura(
            f"f{n}",
            cliente_id=ids[n % 5],
            fecha_emision=f"2025-{(n % 12) + 1:02d}-{(n % 28) + 1:02d}",
            base=100,
            total=121,
        )
        for n in range(1000)
    ]
    response = api.post("/api/facturas/importar", json=facturas)
    assert response.status_code == 200, response.text
    assert response.json()["nuevas"] == 1000
    assert motores == Counter(salud=5, reglas=5)
    ltvs = {c["id"]: c["ltv"] for c in api.get("/api/clientes/").json()["clientes"]}
    assert ltvs == dict.fromkeys(ids, 20000.0)
