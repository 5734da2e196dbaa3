"""Counts read as Spanish: "1 cliente", "2 clientes", never "1 clientes"."""

from __future__ import annotations

import re
from typing import Any

import httpx

from ..conftest import Backend
from ..salud_helpers import HOY, crear_cliente, importar
from ..webhook_helpers import factura
from .conftest import enviar


def _texto(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_the_client_list_counts_one_client_in_the_singular(
    panel: httpx.Client, make_cliente: Any
) -> None:
    make_cliente(nombre_empresa="Única S.L.")
    assert "1 cliente con este filtro" in _texto(panel.get("/clientes?q=unica").text)
    assert "1 cliente ·" in _texto(panel.get("/clientes").text)
    make_cliente()
    assert "2 clientes ·" in _texto(panel.get("/clientes").text)


def test_hoy_counts_one_open_opportunity_and_one_snoozed_alert_in_the_singular(
    panel: httpx.Client, api: httpx.Client, make_cliente: Any
) -> None:
    c = make_cliente(cif_nif="B12345678")["id"]  # a wrong check digit: an alert in Hoy
    api.post(
        f"/api/clientes/{c}/oportunidades",
        json={"nombre_proyecto": "Renovación", "monto_estimado": 1000},
    )
    hoy = _texto(panel.get("/").text)
    assert "(1 abierta)" in hoy
    alerta = api.get("/api/alertas", params={"limit": 1}).json()["alertas"][0]
    enviar(panel, "/", "/hoy/posponer", {"cliente_id": c, "tipo": alerta["tipo"], "dias": "1"})
    hoy = _texto(panel.get("/").text)
    assert "Pospuesta 1 día: vuelve a Hoy el " in hoy
    assert "1 pospuesta no se muestra." in hoy


def test_hoy_debt_age_shows_each_amount_with_its_number_of_invoices(
    panel: httpx.Client, api: httpx.Client, db: Backend
) -> None:
    db.clock.set(HOY)  # 20/01/2026
    crear_cliente(api, "c1", "Deudas S.L.")
    importar(
        api,
        [
            factura("d0", cliente_id="c1", fecha_emision="2026-01-10",
                    fecha_vencimiento="2026-02-09", base=1500, total=1500),
            factura("d1", cliente_id="c1", fecha_emision="2025-12-01",
                    fecha_vencimiento="2026-01-19", base=200, total=200),
            factura("d2", cliente_id="c1", fecha_emision="2025-12-02",
                    fecha_vencimiento="2026-01-10", base="300.50", total="300.50"),
        ],
    )  # fmt: skip
    hoy = panel.get("/").text
    tabla = _texto(hoy[hoy.index('<table class="antiguedad">') : hoy.index("</table>")])
    celdas = " ".join(tabla.split("Más de 90")[1].split())  # one space, even for a nbsp
    assert celdas == (
        "1.500,00 € (1 factura) 500,50 € (2 facturas) 0,00 € (0 facturas) "
        "0,00 € (0 facturas) 0,00 € (0 facturas)"
    )
