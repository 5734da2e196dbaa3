"""A write to `…/contactos/` with the id left empty, through the real HTTP stack: it was a
307 to `…/contactos`, which then answered 405; neither said what was wrong. Now a 404
problem that does. The trailing-slash redirects that lead somewhere stay."""

from __future__ import annotations

from typing import Any

import httpx
import pytest


@pytest.mark.parametrize("recurso", ["contactos", "actividades", "oportunidades"])
@pytest.mark.parametrize("metodo", ["PATCH", "DELETE", "PUT"])
def test_a_write_without_the_id_is_a_404_that_says_so(
    api: httpx.Client, make_cliente: Any, recurso: str, metodo: str
) -> None:
    ruta = f"/api/clientes/{make_cliente()['id']}/{recurso}/"
    response = api.request(metodo, ruta, json={"titulo": "x"})
    assert response.status_code == 404, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["detail"] == (
        f"No existe {metodo} {ruta}: falta el id al final de la ruta"
    )
    assert "x-request-id" in response.headers  # inside the request log, as any answer


def test_redirects_that_lead_somewhere_stay(api: httpx.Client, make_cliente: Any) -> None:
    cliente_id = make_cliente()["id"]
    listado = api.get("/api/clientes")
    assert listado.status_code == 307
    assert listado.headers["location"].endswith("/api/clientes/")
    alta = api.post(
        f"/api/clientes/{cliente_id}/contactos/", json={"nombre_completo": "Ana", "rol": "Gerente"}
    )
    assert alta.status_code == 307  # to the collection, which takes a POST
    assert alta.headers["location"].endswith(f"/api/clientes/{cliente_id}/contactos")
    seguida = api.post(alta.headers["location"], json={"nombre_completo": "Ana", "rol": "Gerente"})
    assert seguida.status_code == 201, seguida.text
