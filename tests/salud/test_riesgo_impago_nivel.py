"""The payment risk level through the API (contract §7, docs/salud.md "Riesgo de impago"):
driven by the late-payment probability, medio from half the portfolio rate, at a fixed date
on both databases."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import httpx

from ..conftest import Backend
from ..salud_helpers import HOY, crear_cliente, importar, salud
from ..webhook_helpers import factura


def _historial(cliente_id: str, tardias: int, a_tiempo: int) -> list[dict[str, Any]]:
    """Monthly invoices of 1.210 € from 05/01/2024, due 30 days after issue, all paid: the
    first `tardias` 40 days after issue (10 days late), the rest 10 days after issue."""
    facturas = []
    for n in range(tardias + a_tiempo):
        emision = date(2024, 1, 5) + timedelta(days=30 * n)
        pago = emision + timedelta(days=40 if n < tardias else 10)
        facturas.append(
            factura(
                f"{cliente_id}_{n}",
                cliente_id=cliente_id,
                numero=f"R/{n:03d}",
                fecha_emision=emision.isoformat(),
                base=1000,
                total=1210,
                fecha_pago=pago.isoformat(),
            )
        )
    return facturas


def test_nivel_desde_la_probabilidad_y_la_tasa_de_la_cartera(
    db: Backend, api: httpx.Client
) -> None:
    db.clock.set(HOY)
    # Fewer than 5 clients with history: the default prior, μ = 30 % worth m = 5 invoices,
    # so medio starts at 15 % (half of μ) for a client who has paid late at least once.
    for cliente_id, tardias, a_tiempo in [
        ("dos_de_diez", 2, 8),
        ("una_de_veinte", 1, 19),
        ("nunca_tarde", 0, 3),
        ("siete_de_diez", 7, 3),
    ]:
        crear_cliente(api, cliente_id, cliente_id)
        importar(api, _historial(cliente_id, tardias, a_tiempo))

    # (2 + 5 × 0,3) ÷ (10 + 5) = 0,233 ≥ 0,15: medio (it was bajo under the old 0,3).
    body = salud(api, "dos_de_diez")
    assert body["probabilidad_pago_tardio"] == 0.233
    assert body["riesgo_impago"] == "medio"
    # (1 + 1,5) ÷ (20 + 5) = 0,1 < 0,15: bajo.
    body = salud(api, "una_de_veinte")
    assert body["probabilidad_pago_tardio"] == 0.1
    assert body["riesgo_impago"] == "bajo"
    # Never late: (0 + 1,5) ÷ (3 + 5) = 0,188, close to the portfolio for lack of history,
    # but no late invoice: bajo.
    body = salud(api, "nunca_tarde")
    assert body["probabilidad_pago_tardio"] == 0.188
    assert body["riesgo_impago"] == "bajo"
    # (7 + 1,5) ÷ (10 + 5) = 0,567: medio; one more late invoice would make it alto (0,6).
    body = salud(api, "siete_de_diez")
    assert body["probabilidad_pago_tardio"] == 0.567
    assert body["riesgo_impago"] == "medio"
