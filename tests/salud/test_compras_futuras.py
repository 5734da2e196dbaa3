"""An invoice dated after today (contract §7 accepts issue dates up to today + 366) is not a
purchase until its day: it does not make a dormant or lost client active, date the last
purchase in the future, or say the last one was "hoy". On its day the recompute counts it.
Both databases, at fixed dates."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx

from ..conftest import Backend
from ..salud_helpers import HOY, crear_cliente, ficha, importar, recalcular, salud
from ..webhook_helpers import factura

# 20/01/2026: the last purchase, 01/06/2025, is 233 days ago (dormant after 60).
ANTIGUA = {"fecha_emision": "2025-06-01", "fecha_pago": "2025-06-15", "base": 1000, "total": 1210}
FUTURA = {"fecha_emision": "2026-03-01", "base": 500, "total": 605}


def test_una_factura_con_fecha_futura_no_es_compra_hasta_su_dia(
    db: Backend, api: httpx.Client
) -> None:
    db.clock.set(HOY)
    crear_cliente(api, "c1", "Adelantada S.L.")
    importar(api, [factura("c1_1", cliente_id="c1", **ANTIGUA)])
    importar(api, [factura("c1_2", cliente_id="c1", **FUTURA)])

    cliente = ficha(api, "c1")
    assert (cliente["estado"], cliente["fecha_última_compra"]) == ("cliente_dormido", "2025-06-01")
    assert cliente["ltv"] == 1500.0  # issued all the same: the ledger holds both
    figuras = salud(api, "c1")
    assert figuras["frecuencia_compra_dias"] is None  # one purchase so far
    assert not any("la última hoy" in m for m in figuras["motivos"])
    assert any("1 compra, la última hace 233 días" in m for m in figuras["motivos"])

    # Its day comes: the daily recompute counts it, on the client's row too.
    db.clock.set(datetime(2026, 3, 1, 10, 0, tzinfo=UTC))
    recalcular(api)
    cliente = ficha(api, "c1")
    # Active again, and VIP: the portfolio's only buyer is its top 10 %.
    assert (cliente["estado"], cliente["fecha_última_compra"]) == ("vip", "2026-03-01")
    assert cliente["fecha_primera_compra"] == "2025-06-01"
    assert salud(api, "c1")["frecuencia_compra_dias"] == 273


def test_una_factura_con_fecha_futura_no_recupera_un_cliente_perdido(
    db: Backend, api: httpx.Client
) -> None:
    db.clock.set(HOY)
    crear_cliente(api, "c1", "Perdida S.L.")
    importar(api, [factura("c1_1", cliente_id="c1", **ANTIGUA)])
    respuesta = api.patch("/api/clientes/c1", json={"estado": "cliente_perdido"})
    assert respuesta.status_code == 200, respuesta.text
    importar(api, [factura("c1_2", cliente_id="c1", **FUTURA)])
    cliente = ficha(api, "c1")
    assert (cliente["estado"], cliente["fecha_última_compra"]) == ("cliente_perdido", "2025-06-01")


def test_ni_siquiera_si_su_ultima_compra_es_reciente(db: Backend, api: httpx.Client) -> None:
    """The review's case: a client that bought 31 days ago, marked lost, came back as
    active on an invoice dated two months ahead (its day count, negative, was "recent")."""
    db.clock.set(HOY)
    crear_cliente(api, "c1", "Reciente S.L.")
    reciente = {"fecha_emision": "2025-12-20", "fecha_pago": "2025-12-30", "base": 1000}
    importar(api, [factura("c1_1", cliente_id="c1", total=1210, **reciente)])
    respuesta = api.patch("/api/clientes/c1", json={"estado": "cliente_perdido"})
    assert respuesta.status_code == 200, respuesta.text
    importar(api, [factura("c1_2", cliente_id="c1", **FUTURA)])
    assert ficha(api, "c1")["estado"] == "cliente_perdido"
