"""A query parameter an operation does not take, or one it takes once given twice, is a 422
naming it (contract §2: the client list's parameters, "anything else 422"), on every
operation behind the API key: ignoring it silently answered the wrong page or dropped a
value the caller meant to send."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import httpx

from .api_helpers import assert_invalid
from .test_openapi import operations

MakeCliente = Callable[..., dict[str, Any]]


def test_the_client_list_names_an_unknown_parameter_and_what_it_takes(
    api: httpx.Client, make_cliente: MakeCliente
) -> None:
    for _ in range(3):
        make_cliente()
    # `limite` is the per-client lists' old name; the client list takes `limit` only.
    body = assert_invalid(api.get("/api/clientes/", params={"limite": 1}), "limite")
    [error] = body["errors"]
    assert error["tipo"] == "parametro_desconocido"
    assert "'limit'" in error["mensaje"] and "'ordenar_por'" in error["mensaje"]
    assert body["detail"].startswith("Datos no válidos: limite: parámetro desconocido")
    # Every parameter it declares is still taken, together.
    todos = {
        "skip": 0,
        "limit": 1,
        "estado": "prospecto",
        "sector": "x",
        "riesgo_impago": "bajo",
        "q": "empresa",
        "ordenar_por": "ltv",
        "orden": "asc",
    }
    assert api.get("/api/clientes/", params=todos).status_code == 200
    assert api.get("/api/clientes/", params={"limit": 1}).json()["limit"] == 1


def test_several_unknown_parameters_are_all_named(api: httpx.Client) -> None:
    body = assert_invalid(api.get("/api/alertas", params={"foo": 1, "bar": 2}), "foo")
    assert [e["campo"] for e in body["errors"]] == ["bar", "foo"]


def test_a_parameter_given_twice_is_refused_not_the_last_one_taken(
    api: httpx.Client, make_cliente: MakeCliente
) -> None:
    """`?estado=vip&estado=prospecto` answered the prospects alone, silently."""
    make_cliente()
    dos = [("estado", "vip"), ("estado", "prospecto"), ("limit", "5")]
    body = assert_invalid(api.get("/api/clientes/", params=dos), "estado")
    assert body["errors"] == [
        {
            "campo": "estado",
            "mensaje": "parámetro repetido; admite un solo valor",
            "tipo": "parametro_repetido",
        }
    ]
    assert body["detail"] == "Datos no válidos: estado: parámetro repetido; admite un solo valor"
    # With an unknown one too, both are named; the same value twice is still twice.
    ambos = [("foo", "1"), ("limit", "5"), ("limit", "5")]
    body = assert_invalid(api.get("/api/clientes/", params=ambos), "foo")
    assert [(e["campo"], e["tipo"]) for e in body["errors"]] == [
        ("foo", "parametro_desconocido"),
        ("limit", "parametro_repetido"),
    ]
    # On a per-client list, whose `limit` comes from a shared dependency, too.
    cliente = make_cliente()
    ruta = f"/api/clientes/{cliente['id']}/actividades"
    assert_invalid(api.get(ruta, params=[("limit", "1"), ("limit", "2")]), "limit")
    assert api.get(ruta, params={"limit": 1}).status_code == 200


def test_an_operation_without_parameters_says_it_takes_none(
    api: httpx.Client, make_cliente: MakeCliente
) -> None:
    cliente = make_cliente()
    body = assert_invalid(api.get(f"/api/clientes/{cliente['id']}", params={"_": "1"}), "_")
    assert body["errors"][0]["mensaje"].endswith("no admite parámetros en la URL")
    assert api.get(f"/api/clientes/{cliente['id']}").status_code == 200


def test_a_misspelt_value_does_not_close_an_opportunity_without_it(
    api: httpx.Client, make_cliente: MakeCliente
) -> None:
    cliente = make_cliente()
    url = f"/api/clientes/{cliente['id']}/oportunidades"
    oportunidad = api.post(url, json={"nombre_proyecto": "Web", "monto_estimado": 1000}).json()
    ganada = f"/api/clientes/oportunidades/{oportunidad['id']}/ganada"
    assert_invalid(api.put(ganada, params={"valor_fnal": 900}), "valor_fnal")
    [sigue] = api.get(url).json()
    assert sigue["estado"] != "ganada"
    assert api.put(ganada, params={"valor_final": 900}).json()["valor_ganado"] == 900


def test_the_per_client_lists_keep_their_old_parameter_name(
    api: httpx.Client, make_cliente: MakeCliente
) -> None:
    cliente = make_cliente()
    url = f"/api/clientes/{cliente['id']}/actividades"
    for nombre in ("limite", "limit"):
        assert api.get(url, params={nombre: 5}).status_code == 200
    assert_invalid(api.get(url, params={"limits": 5}), "limits")


def test_without_the_key_it_is_401_first(anon: httpx.Client) -> None:
    assert anon.get("/api/clientes/", params={"foo": 1}).status_code == 401


def test_a_parameter_without_a_name_is_said_so(api: httpx.Client) -> None:
    respuesta = api.get("/api/alertas?=1")
    body = assert_invalid(respuesta, "")
    assert body["detail"].startswith("Datos no válidos: (sin nombre): parámetro desconocido")


def test_what_each_operation_says_it_takes_is_what_its_openapi_declares(
    api: httpx.Client,
) -> None:
    """The check reads FastAPI's own record of each route's parameters: for every operation
    behind the key, the 422 lists exactly the query parameters `/openapi.json` declares."""
    spec = api.get("/openapi.json").json()
    comprobadas = 0
    for method, path, operation in operations(spec):
        if not path.startswith("/api/") or path.startswith("/api/webhooks/"):
            continue
        declarados = sorted(
            p["name"] for p in operation.get("parameters", []) if p["in"] == "query"
        )
        url = re.sub(r"\{[^}]+\}", "no-existe", path)
        body = assert_invalid(api.request(method, url, params={"zz": 1}), "zz")
        mensaje = body["errors"][0]["mensaje"]
        assert sorted(re.findall(r"'([^']+)'", mensaje)) == declarados, (method, path)
        comprobadas += 1
    assert comprobadas >= 30
