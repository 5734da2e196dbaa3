"""Shared set-up of the health and portfolio API tests: clients, invoice history, reads."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx

from .webhook_helpers import factura

# Tuesday 20 January 2026, 11:00 in Madrid: "today" in these tests.
HOY = datetime(2026, 1, 20, 10, 0, tzinfo=UTC)
RANGO = {"critica": 0, "alta": 1, "media": 2, "baja": 3}


def crear_cliente(api: httpx.Client, cliente_id: str, nombre: str, **fields: Any) -> dict[str, Any]:
    body = {"id": cliente_id, "nombre_empresa": nombre, "email": f"{cliente_id}@ejemplo.es"}
    response = api.post("/api/clientes/", json={**body, **fields})
    assert response.status_code == 201, response.text
    return dict(response.json())


def importar(api: httpx.Client, facturas: list[dict[str, Any]]) -> None:
    response = api.post("/api/facturas/importar", json=facturas)
    assert response.status_code == 200, response.text


def historial_regular(cliente_id: str) -> list[dict[str, Any]]:
    """Bought every 30 days from 03/08/2025 to 01/12/2025: four invoices of 1.000 € net paid
    10, 20, 30 (the due date: on time) and 40 days after issue, and 2025/0123 of 2.500,00 €
    due 11/12/2025, unpaid: 40 days overdue on 20/01/2026."""
    pagadas = [
        ("2025-08-03", "2025-08-13"),
        ("2025-09-02", "2025-09-22"),
        ("2025-10-02", "2025-11-01"),
        ("2025-11-01", "2025-12-11"),
    ]
    facturas = [
        factura(
            f"{cliente_id}_{n}",
            cliente_id=cliente_id,
            numero=f"2025/010{n}",
            fecha_emision=emision,
            base=1000,
            total=1210,
            fecha_pago=pago,
        )
        for n, (emision, pago) in enumerate(pagadas, start=1)
    ]
    facturas.append(
        factura(
            f"{cliente_id}_0123",
            cliente_id=cliente_id,
            numero="2025/0123",
            fecha_emision="2025-12-01",
            fecha_vencimiento="2025-12-11",
            base="2066.12",
            total="2500.00",
        )
    )
    return facturas


def salud(api: httpx.Client, cliente_id: str) -> dict[str, Any]:
    response = api.get(f"/api/clientes/{cliente_id}/salud")
    assert response.status_code == 200, response.text
    return dict(response.json())


def ficha(api: httpx.Client, cliente_id: str) -> dict[str, Any]:
    response = api.get(f"/api/clientes/{cliente_id}")
    assert response.status_code == 200, response.text
    return dict(response.json())


def fila_de_lista(api: httpx.Client, cliente_id: str) -> dict[str, Any]:
    response = api.get("/api/clientes/", params={"limit": 100})
    assert response.status_code == 200, response.text
    (fila,) = [c for c in response.json()["clientes"] if c["id"] == cliente_id]
    return dict(fila)


def recomendaciones(api: httpx.Client, cliente_id: str) -> dict[str, Any]:
    response = api.get(f"/api/clientes/{cliente_id}/recomendaciones")
    assert response.status_code == 200, response.text
    return dict(response.json())


def recalcular(api: httpx.Client) -> dict[str, Any]:
    response = api.post("/api/salud/recalcular")
    assert response.status_code == 200, response.text
    return dict(response.json())
