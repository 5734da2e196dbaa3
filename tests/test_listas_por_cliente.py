"""Contract §10: per-client lists take `limit` (and keep its old name `limite`) and say
their total in `X-Total-Count`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.api_helpers import assert_invalid

MakeCliente = Callable[..., dict[str, Any]]


def _poblar(api: httpx.Client, cliente_id: str, n: int) -> None:
    url = f"/api/clientes/{cliente_id}"
    for i in range(n):
        assert api.post(url + "/contactos", json={"nombre_completo": f"P{i}", "rol": "Comercial"})
        assert api.post(url + "/actividades", json={"tipo": "nota", "titulo": f"N{i}"})
        assert api.post(
            url + "/oportunidades", json={"nombre_proyecto": f"O{i}", "monto_estimado": 10}
        )


@pytest.mark.parametrize("lista", ["contactos", "actividades", "oportunidades"])
def test_per_client_lists_take_limit_and_say_their_total(
    api: httpx.Client, make_cliente: MakeCliente, lista: str
) -> None:
    cliente = make_cliente()
    _poblar(api, cliente["id"], 3)

    response = api.get(f"/api/clientes/{cliente['id']}/{lista}", params={"limit": 2})

    assert response.status_code == 200, response.text
    assert len(response.json()) == 2
    assert response.headers["X-Total-Count"] == "3"
    rest = api.get(f"/api/clientes/{cliente['id']}/{lista}", params={"limit": 2, "skip": 2})
    assert len(rest.json()) == 1
    assert rest.headers["X-Total-Count"] == "3"
    assert_invalid(api.get(f"/api/clientes/{cliente['id']}/{lista}?limit=101"), "limit")


@pytest.mark.parametrize("lista", ["contactos", "actividades", "oportunidades"])
def test_per_client_lists_keep_limite_and_limit_wins(
    api: httpx.Client, make_cliente: MakeCliente, lista: str
) -> None:
    cliente = make_cliente()
    _poblar(api, cliente["id"], 3)
    url = f"/api/clientes/{cliente['id']}/{lista}"

    response = api.get(url, params={"limite": 1})
    assert response.status_code == 200, response.text
    assert len(response.json()) == 1
    assert response.headers["X-Total-Count"] == "3"
    assert len(api.get(url, params={"limit": 2, "limite": 1}).json()) == 2
    assert len(api.get(url).json()) == 3
    assert_invalid(api.get(url, params={"limite": 0}), "limite")
    assert_invalid(api.get(url, params={"limite": 101}), "limite")


def test_the_timeline_total_follows_its_filter(
    api: httpx.Client, make_cliente: MakeCliente
) -> None:
    cliente = make_cliente()
    _poblar(api, cliente["id"], 2)
    url = f"/api/clientes/{cliente['id']}/actividades"
    api.post(url, json={"tipo": "tarea", "titulo": "Llamar"})

    response = api.get(url, params={"pendientes": "true"})

    assert response.headers["X-Total-Count"] == "1"
