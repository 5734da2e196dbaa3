"""HEAD wherever GET answers (RFC 9110 §9.3.2): what a GET would say, without the body.
Uptime monitors and link checkers ask with HEAD; FastAPI's routes alone answered 405."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from .conftest import API_KEY, Backend


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


@pytest.mark.parametrize(
    ("metodo", "ruta", "permitidos"),
    [
        ("DELETE", "/api/clientes/", "GET, HEAD, POST"),
        ("PUT", "/api/clientes/abc123", "DELETE, GET, HEAD, PATCH"),
        ("PUT", "/api/clientes/abc123/actividades", "GET, HEAD, POST"),
        ("GET", "/api/webhooks/facturas", "POST"),
    ],
)
def test_a_405_names_every_method_its_path_takes(
    api: httpx.Client, metodo: str, ruta: str, permitidos: str
) -> None:
    """RFC 9110 §15.5.6: `Allow` lists what the path takes, not the first route's method
    (FastAPI makes a route per method: `PUT /api/clientes/{id}` said `Allow: GET`)."""
    response = api.request(metodo, ruta)
    assert response.status_code == 405
    assert response.headers["allow"] == permitidos
    assert response.json()["detail"] == "Método no permitido en esta ruta"


class _Lineas(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.lineas: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lineas.append(record.getMessage())


def test_the_request_log_says_head(api: httpx.Client) -> None:
    # A handler on the request logger itself: whether it propagates to the root logger
    # (where pytest's caplog listens) depends on which test configured logging first.
    registro = logging.getLogger("smartbilling_crm.request")
    lineas = _Lineas()
    nivel = registro.level
    registro.addHandler(lineas)
    registro.setLevel(logging.INFO)
    try:
        api.head("/api/clientes/no-existe", headers={"X-Request-ID": "cabeza-1"})
        # The line is written once the answer has left: the client may read it first.
        limite = time.monotonic() + 5
        while not any("cabeza-1" in t for t in lineas.lineas) and time.monotonic() < limite:
            time.sleep(0.01)
    finally:
        registro.removeHandler(lineas)
        registro.setLevel(nivel)
    [linea] = [json.loads(t) for t in lineas.lineas if "cabeza-1" in t]
    assert (linea["method"], linea["route"], linea["status"]) == (
        "HEAD",
        "/api/clientes/{cliente_id}",
        404,
    )


def test_the_server_keeps_seeing_head_while_the_answer_goes_out(
    db: Backend, make_cliente: Callable[..., dict[str, Any]]
) -> None:
    """The app inside sees a GET, the server's own scope keeps HEAD to the end: uvicorn's
    httptools protocol reads it while it sends, to know that no body follows the
    `Content-Length` (with the scope turned into a GET it cut every HEAD's connection)."""
    ruta = f"/api/clientes/{make_cliente()['id']}"
    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "HEAD",
        "scheme": "http",
        "path": ruta,
        "raw_path": ruta.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"crm"), (b"authorization", f"Bearer {API_KEY}".encode())],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 80),
    }
    enviados: list[tuple[str, str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(mensaje: dict[str, Any]) -> None:
        enviados.append(
            (mensaje["type"], scope["method"], mensaje.get("status", mensaje.get("body")))
        )

    asyncio.run(db.app(scope, receive, send))
    assert enviados[0] == ("http.response.start", "HEAD", 200)
    assert all(metodo == "HEAD" for _, metodo, _ in enviados)
    assert all(cuerpo == b"" for tipo, _, cuerpo in enviados if tipo == "http.response.body")
    assert getattr(scope.get("route"), "path", None) == "/api/clientes/{cliente_id}"
