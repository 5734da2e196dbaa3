"""The client page's way back from "cliente perdido" (the API's `estado: null`), on SQLite
and PostgreSQL: a client marked lost by mistake had none but a new invoice."""

from __future__ import annotations

import httpx

from ..clientes.test_perdido_a_mano import comprador
from ..conftest import Backend
from .conftest import enviar


def test_the_panel_offers_the_way_back(db: Backend, api: httpx.Client, panel: httpx.Client) -> None:
    antes = comprador(db, api, "panel")
    ficha = "/clientes/panel"
    assert "Marcar como cliente perdido" in panel.get(ficha).text
    campos = {"nombre_empresa": "Panel S.L.", "email": "panel@ejemplo.es"}
    respuesta = enviar(panel, ficha, ficha + "/editar", campos | {"estado": "cliente_perdido"})
    assert respuesta.status_code == 303
    assert api.get("/api/clientes/panel").json()["estado"] == "cliente_perdido"

    pagina = panel.get(ficha).text
    assert "Marcar como cliente perdido" not in pagina
    assert "Ya no está perdido" in pagina
    respuesta = enviar(panel, ficha, ficha + "/editar", campos | {"estado": ""})
    assert respuesta.status_code == 303
    assert api.get("/api/clientes/panel").json()["estado"] == antes
    # Saving the form again without touching the box keeps the state.
    enviar(panel, ficha, ficha + "/editar", campos)
    assert api.get("/api/clientes/panel").json()["estado"] == antes
