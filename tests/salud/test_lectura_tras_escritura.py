"""Reads show the stored row, so every write that changes what a client shows must store
it again at once (issue 14.1): contacts, activities, opportunities and invoices each show in
the very next read, and that read runs no engine."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from typing import Any

import httpx

from ..conftest import Backend
from ..webhook_helpers import evento, send

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _leer(api: httpx.Client, motores: Counter[str]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The 360 and the recommendations, checking that neither ran an engine."""
    motores.clear()
    cliente = api.get("/api/clientes/abc123").json()
    recomendaciones = api.get("/api/clientes/abc123/recomendaciones").json()
    assert motores == Counter(), "a read of a fresh row ran an engine"
    return cliente, recomendaciones


def test_every_write_shows_in_the_next_read(
    db: Backend, api: httpx.Client, make_cliente: Any, motores: Counter[str]
) -> None:
    db.clock.set(NOW)
    make_cliente(id="abc123")
    # Issued 01/01, due 31/01: a month overdue today.
    factura = {"factura_id": "f1", "fecha_emision": "2026-01-01", "base": 1000, "total": 1210}
    assert send(api, evento("emitida", **factura), now=NOW).status_code == 200
    cliente, recomendaciones = _leer(api, motores)
    assert cliente["ltv"] == 1000.0 and cliente["salud"]["facturas_vencidas"] == 1
    assert "factura_vencida" in [a["tipo"] for a in recomendaciones["alertas"]]
    assert not any("María López" in a for a in recomendaciones["acciones_sugeridas"])

    contacto = {"nombre_completo": "María López", "rol": "Contable"}
    contacto |= {"es_contacto_financiero": True}
    assert api.post("/api/clientes/abc123/contactos", json=contacto).status_code == 201
    cliente, recomendaciones = _leer(api, motores)
    assert [c["nombre_completo"] for c in cliente["contactos"]] == ["María López"]
    assert any("María López" in a for a in recomendaciones["acciones_sugeridas"])

    llamada = {"tipo": "llamada", "titulo": "Reclamar", "fecha": "2026-03-02T09:30:00"}
    assert api.post("/api/clientes/abc123/actividades", json=llamada).status_code == 201
    cliente, _ = _leer(api, motores)
    assert cliente["salud"]["dias_sin_actividad"] == 0
    assert cliente["salud"]["numero_actividades_ultimos_30_dias"] == 1

    oportunidad = {"nombre_proyecto": "Renovación", "monto_estimado": 5000}
    assert api.post("/api/clientes/abc123/oportunidades", json=oportunidad).status_code == 201
    cliente, _ = _leer(api, motores)
    assert [o["nombre_proyecto"] for o in cliente["oportunidades_abiertas"]] == ["Renovación"]

    pagada = evento("pagada", **factura, fecha_pago="2026-03-01")
    assert send(api, pagada, now=NOW).status_code == 200
    cliente, recomendaciones = _leer(api, motores)
    assert cliente["salud"]["facturas_vencidas"] == 0
    assert cliente["salud"]["importe_pendiente"] == 0.0
    assert "factura_vencida" not in [a["tipo"] for a in recomendaciones["alertas"]]
