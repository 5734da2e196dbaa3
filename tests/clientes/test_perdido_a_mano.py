"""`cliente_perdido` is set by hand (contract §4), and by hand it can be taken back: a
client marked lost by mistake had no way back but a new invoice. `PATCH {"estado": null}`
gives the state back to the system, which works it out from the client's facts at once; on
SQLite and PostgreSQL, at a fixed date. The panel's way: tests/panel/test_ficha_perdido.py."""

from __future__ import annotations

import httpx

from ..conftest import Backend
from ..salud_helpers import HOY, crear_cliente, importar
from ..webhook_helpers import factura


def comprador(db: Backend, api: httpx.Client, cliente_id: str) -> str:
    """A client who bought 10 days ago: active (vip, the portfolio's best buyer)."""
    db.clock.set(HOY)
    crear_cliente(api, cliente_id, f"{cliente_id.title()} S.L.")
    compra = factura(f"f_{cliente_id}", cliente_id=cliente_id, fecha_emision="2026-01-10")
    importar(api, [compra | {"fecha_pago": "2026-01-12"}])
    estado = str(api.get(f"/api/clientes/{cliente_id}").json()["estado"])
    assert estado in ("cliente_activo", "vip")
    return estado


def test_a_client_marked_lost_by_mistake_gets_its_state_back(
    db: Backend, api: httpx.Client
) -> None:
    antes = comprador(db, api, "error")
    url = "/api/clientes/error"
    response = api.patch(url, json={"estado": "cliente_perdido"})
    assert response.status_code == 200, response.text
    assert response.json()["estado"] == "cliente_perdido"
    assert api.get(url + "/salud").json()["riesgo_perdida_score"] == 100

    response = api.patch(url, json={"estado": None})
    assert response.status_code == 200, response.text
    assert response.json()["estado"] == antes  # from its purchase, as before
    assert api.get(url + "/salud").json()["riesgo_perdida_score"] < 100
    fila = api.get("/api/clientes/", params={"q": "error"}).json()["clientes"][0]
    assert fila["estado"] == antes  # the list, from the stored row, agrees

    # A client the system keeps: null leaves its state as it is.
    assert api.patch(url, json={"estado": None}).json()["estado"] == antes
    # A prospect (nothing bought) goes back to prospect.
    crear_cliente(api, "nada", "Nada S.L.")
    api.patch("/api/clientes/nada", json={"estado": "cliente_perdido"})
    assert api.patch("/api/clientes/nada", json={"estado": None}).json()["estado"] == "prospecto"

    # Anything else: the refusal says what may be sent, null included.
    for valor in ("jubilado", "", "vip", 5, True, ["cliente_perdido"]):
        response = api.patch("/api/clientes/nada", json={"estado": valor})
        assert response.status_code == 422, response.text
        (error,) = response.json()["errors"]
        assert error["campo"] == "estado"
        assert "solo puede marcarse 'cliente_perdido'" in error["mensaje"]
        assert "null" in error["mensaje"]
