"""Counts read as Spanish: "1 cliente", "2 clientes", never "1 clientes"."""

from __future__ import annotations

import re
from typing import Any

import httpx

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
    assert "Pospuesta 1 día." in hoy
    assert "1 pospuesta no se muestra." in hoy
