"""HEAD wherever GET answers (RFC 9110 §9.3.2): what a GET would say, without the body.
Uptime monitors and link checkers ask with HEAD; FastAPI's routes alone answered 405."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

import httpx
import pytest


def test_head_of_the_360_is_the_get_without_its_body(
    api: httpx.Client, make_cliente: Callable[..., dict[str, Any]]
) -> None:
    cliente = make_cliente()
    ruta = f"/api/clientes/{cliente['id']}"
    get = api.get(ruta)
    head = api.head(ruta)
    assert head.status_code == 200
    assert head.content == b""
    for cabecera in ("content-type", "content-length", "etag", "cache-control"):
        assert head.headers[cabecera] == get.headers[cabecera], cabecera
    assert int(head.headers["content-length"]) == len(get.content)
    # The tag works as on a GET: unchanged is 304.
    assert api.head(ruta, headers={"If-None-Match": get.headers["etag"]}).status_code == 304


def test_head_answers_the_errors_a_get_would(api: httpx.Client, anon: httpx.Client) -> None:
    desconocido = api.head("/api/clientes/no-existe")
    assert desconocido.status_code == 404
    assert desconocido.headers["content-type"] == "application/problem+json"
    assert desconocido.content == b""
    assert anon.head("/api/clientes/").status_code == 401
    # A path that only takes POST says so, as it does to a GET.
    solo_post = api.head("/api/webhooks/facturas")
    assert solo_post.status_code == 405
    assert solo_post.headers["allow"] == "POST"


def test_the_request_log_says_head(api: httpx.Client, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="smartbilling_crm.request"):
        api.head("/api/clientes/no-existe", headers={"X-Request-ID": "cabeza-1"})
    [linea] = [
        json.loads(r.getMessage())
        for r in caplog.records
        if r.name == "smartbilling_crm.request" and "cabeza-1" in r.getMessage()
    ]
    assert (linea["method"], linea["route"], linea["status"]) == (
        "HEAD",
        "/api/clientes/{cliente_id}",
        404,
    )
