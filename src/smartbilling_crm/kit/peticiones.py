"""What an HTTP error says about the request that caused it: the methods its path takes
(a 405's `Allow`), and the header of a body that is JSON but was not sent as such."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match


def sin_json(request: Request, raw: Any, errors: list[dict[str, Any]]) -> None:
    """A body sent with a Content-Type other than JSON reaches validation as bytes, and
    "cuerpo: debe ser un objeto JSON" is misleading when it is one: the message names the
    header instead (the 422 stays, as the API documents for every body)."""
    tipo = request.headers.get("content-type", "")[:80]
    media = tipo.split(";")[0].strip().lower()
    if not tipo or (media.startswith("application/") and media.split("+")[-1].endswith("json")):
        return  # read as JSON (FastAPI's rule): whatever is wrong, it is not the header
    for error, campo in zip(raw, errors, strict=True):
        if tuple(error.get("loc", ())) == ("body",) and isinstance(error.get("input"), bytes):
            campo["mensaje"] += (
                f"; envíalo con la cabecera Content-Type: application/json (llegó '{tipo}')"
            )


def cabeceras_http(request: Request, exc: StarletteHTTPException) -> dict[str, str] | None:
    """The headers of an HTTP error; a 405's `Allow` names every method its path takes
    (RFC 9110 §15.5.6). Starlette names those of the first route whose path matched, and
    FastAPI makes a route per method: `PUT /api/clientes/{id}` said `Allow: GET` alone."""
    cabeceras = dict(exc.headers or {})
    if exc.status_code == 405:
        # Asked of the router method by method: included routers match as a whole and
        # keep their routes' methods to themselves.
        rutas = request.app.router.routes
        metodos = [
            metodo
            for metodo in _METODOS
            if any(r.matches({**request.scope, "method": metodo})[0] == Match.FULL for r in rutas)
        ]
        if "GET" in metodos:
            metodos.append("HEAD")  # answered as a GET (`middleware.HeadMiddleware`)
        if metodos:
            cabeceras["Allow"] = ", ".join(sorted(metodos))
    return cabeceras or None


_METODOS = ("DELETE", "GET", "PATCH", "POST", "PUT")
