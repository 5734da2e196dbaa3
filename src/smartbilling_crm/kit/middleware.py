"""ASGI middleware: body size cap, security headers, request ids with one structured log
line per request (the rate limit is in `kit/limite.py`).

Pure ASGI (no BaseHTTPMiddleware) so streaming bodies are counted as they arrive and
nothing is buffered twice.
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from collections.abc import Awaitable, Callable, MutableMapping
from datetime import tzinfo
from typing import Any

from starlette.routing import Match

from smartbilling_crm.kit.schemas import ZONA_NEGOCIO

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

MAX_BODY_BYTES = 1024 * 1024
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
request_logger = logging.getLogger("smartbilling_crm.request")


_SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
]
# The API only answers JSON: nothing in it may load or be framed. /docs is left out
# because Swagger UI runs its scripts (served by the app itself, kit.documentacion).
_API_ONLY_HEADERS = [
    (b"content-security-policy", b"default-src 'none'; frame-ancestors 'none'"),
    (b"cache-control", b"no-store"),
]


def _problem(status: int, title: str, detail: str) -> bytes:
    return json.dumps(
        {"type": "about:blank", "title": title, "status": status, "detail": detail},
        ensure_ascii=False,
    ).encode()


async def _send_problem(
    send: Send, status: int, title: str, detail: str, extra: tuple[tuple[bytes, bytes], ...] = ()
) -> None:
    body = _problem(status, title, detail)
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/problem+json"),
                (b"content-length", str(len(body)).encode()),
                *extra,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class _BodyTooLarge(BaseException):
    # A BaseException on purpose: FastAPI turns any Exception raised while it reads
    # the body into a generic 400; this one must reach the middleware that raised it.
    pass


class BodyLimitMiddleware:
    """413 for any request body over `limit` bytes, declared or streamed."""

    def __init__(self, app: ASGIApp, limit: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", []):
            if name == b"content-length" and value.isdigit() and int(value) > self.limit:
                await self._refuse(send)
                return
        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    raise _BodyTooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except _BodyTooLarge:
            if not started:
                await self._refuse(send)

    async def _refuse(self, send: Send) -> None:
        await _send_problem(
            send,
            413,
            "Cuerpo demasiado grande",
            f"El cuerpo supera el máximo de {self.limit // 1024} KiB",
        )


class SecurityHeadersMiddleware:
    """Security headers on every response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        is_api = scope.get("path", "").startswith("/api/")
        https = scope.get("scheme") == "https"

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                extra = _SECURITY_HEADERS + (_API_ONLY_HEADERS if is_api else [])
                if https:
                    extra = [*extra, (b"strict-transport-security", b"max-age=31536000")]
                headers.extend((n, v) for n, v in extra if n not in present)
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, with_headers)


class RequestLogMiddleware:
    """A request id (kept from `X-Request-ID` when sane) and one JSON log line per request.

    The line holds the route template, never the query string or body, so no email,
    phone or name reaches the logs.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = dict(scope.get("headers", [])).get(b"x-request-id", b"").decode("latin-1")
        request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        status = 500
        start = time.perf_counter()

        async def tagged_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [
                    *message.get("headers", []),
                    (b"x-request-id", request_id.encode()),
                ]
            await send(message)

        try:
            await self.app(scope, receive, tagged_send)
        finally:
            if scope["state"].get("cliente_desconectado"):
                status = 499  # nginx's "client closed request": not a server error
            route = getattr(scope.get("route"), "path", None)
            if route is None:
                # Outside /api/ a path carries no client data (/docs, /healthz...).
                path = str(scope.get("path", ""))
                route = "(sin ruta)" if path.startswith("/api/") else path
            request_logger.info(
                json.dumps(
                    {
                        "event": "request",
                        "request_id": request_id,
                        "method": scope.get("method"),
                        "route": route,
                        "status": status,
                        "ms": round((time.perf_counter() - start) * 1000, 1),
                    }
                )
            )


class HeadMiddleware:
    """HEAD wherever GET answers: the GET's status and headers, no body (RFC 9110 §9.3.2:
    a general-purpose server supports HEAD). FastAPI's routes declare GET only, so without
    this an uptime monitor or a link checker asking with HEAD got 405 on every page.

    The app inside gets a copy of the scope that says GET: the server keeps reading its own
    (uvicorn's httptools protocol decides from it whether the body it sends must match
    `Content-Length`, and answered a HEAD made GET by cutting the connection). The route
    the router matched is copied back for the request log, which records HEAD."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def sin_cuerpo(message: Message) -> None:
            if message["type"] == "http.response.body":
                message = {**message, "body": b""}
            await send(message)

        como_get = {**scope, "method": "GET"}
        try:
            await self.app(como_get, receive, sin_cuerpo)
        finally:
            if "route" in como_get:
                scope["route"] = como_get["route"]


class ZonaHorariaMiddleware:
    """Naive datetimes in this request are read in the app's business time zone."""

    def __init__(self, app: ASGIApp, tz: tzinfo) -> None:
        self.app = app
        self.tz = tz

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        token = ZONA_NEGOCIO.set(self.tz)
        try:
            await self.app(scope, receive, send)
        finally:
            ZONA_NEGOCIO.reset(token)


class BarraFinalMiddleware:
    """A write to a path with a trailing slash that no route takes, whose path without it
    has routes for other methods only: `PATCH …/contactos/`, an id left empty. Starlette
    redirected it (307) to `…/contactos`, which then answered 405 "method not allowed",
    neither of which says what is wrong. It is a 404 that does. Other trailing-slash
    redirects are left as they were (`GET /api/clientes` → `/api/clientes/`). The routes
    are the router's at each request (routers are included after the middleware)."""

    def __init__(self, app: ASGIApp, router: Any) -> None:
        self.app = app
        self.router = router

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and scope["method"] not in ("GET", "HEAD", "OPTIONS")
            and scope["path"].endswith("/")
            and scope["path"] != "/"
            and self._falta_el_id(scope)
        ):
            await _send_problem(
                send,
                404,
                "No encontrado",
                f"No existe {scope['method']} {scope['path']}: falta el id al final de la ruta",
            )
            return
        await self.app(scope, receive, send)

    def _falta_el_id(self, scope: Scope) -> bool:
        rutas = self.router.routes
        if any(ruta.matches(scope)[0] != Match.NONE for ruta in rutas):
            return False
        sin_barra = {**scope, "path": scope["path"].rstrip("/")}
        coinciden = {ruta.matches(sin_barra)[0] for ruta in rutas}
        return Match.PARTIAL in coinciden and Match.FULL not in coinciden
