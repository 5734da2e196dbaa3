"""Errors as the API answers them: RFC 9457 problem+json, the declared error responses, the
exception handlers and the Spanish field errors of a 422. The one place errors are rendered."""

from __future__ import annotations

import inspect
import json
import logging
import traceback
from collections.abc import Callable, Mapping, MutableMapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as SQLAlchemyTimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Receive, Scope, Send

from smartbilling_crm.kit.excepciones import DomainError, ErrorDeCampo, SinConexionError
from smartbilling_crm.kit.peticiones import cabeceras_http, sin_json
from smartbilling_crm.kit.schemas import READ_ONLY_FIELDS

logger = logging.getLogger("smartbilling_crm")


class FieldError(BaseModel):
    campo: str | None = Field(
        description="El campo con el problema, p. ej. 'email'; null si es el cuerpo entero"
    )
    mensaje: str = Field(description="Qué le pasa, en español")
    tipo: str = Field(description="El tipo de error (el de pydantic, p. ej. 'missing')")


def _errors_only_when_present(schema: dict[str, Any]) -> None:
    schema["required"] = [name for name in schema.get("required", []) if name != "errors"]


class Problem(BaseModel):
    """RFC 9457 problem details; `errors` only in a 422."""

    model_config = ConfigDict(
        json_schema_serialization_defaults_required=True,
        json_schema_extra=_errors_only_when_present,
    )

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    errors: list[FieldError] | None = Field(None, description="Solo en un 422: cada campo")


def problem(status: int, description: str) -> dict[str, Any]:
    return {
        "model": Problem,
        "description": description,
        "content": {
            "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
        },
    }


Responses = dict[int | str, dict[str, Any]]

UNAUTHORIZED: Responses = {401: problem(401, "Falta la clave de API o no es válida")}
NOT_FOUND: Responses = {404: problem(404, "Algún id de la ruta no existe")}
CONFLICT: Responses = {409: problem(409, "Duplicado (email, CIF/NIF o id) o transición imposible")}
INVALID: Responses = {422: problem(422, "Datos no válidos; `errors` nombra cada campo")}

_RETRY_AFTER = {
    "Retry-After": {
        "description": "Segundos que conviene esperar antes de reintentar",
        "schema": {"type": "integer"},
    }
}
# What any operation can answer, whatever it does: declared once for the whole app.
COMMON: Responses = {
    413: problem(413, "Cuerpo demasiado grande (más de 1 MiB; 64 KiB en el webhook)"),
    429: {**problem(429, "Demasiadas peticiones con esta clave"), "headers": _RETRY_AFTER},
    503: {**problem(503, "Base de datos no disponible u ocupada"), "headers": _RETRY_AFTER},
}

# A per-client list: a plain JSON array, its total in a header.
LISTA_CON_TOTAL: Responses = {
    200: {
        "description": "Una página; `X-Total-Count` dice cuántas filas hay en total",
        "headers": {
            "X-Total-Count": {
                "description": "Filas que cumplen el filtro, en todas las páginas",
                "schema": {"type": "integer", "minimum": 0},
            }
        },
    }
}

READ: Responses = {**UNAUTHORIZED, **NOT_FOUND, **INVALID}
WRITE: Responses = {**UNAUTHORIZED, **NOT_FOUND, **CONFLICT, **INVALID}


# ---------------------------------------------------------------- Spanish field errors
# Every pydantic error type the API can produce, in Spanish, with its limits from the
# error's `ctx`. A type missing here falls back to a Spanish generic, never to English.


def _lista(expected: Any) -> str:
    """pydantic's "'a', 'b' or 'c'" as "'a', 'b' o 'c'"."""
    return str(expected).replace(" or ", " o ")


def _plural(n: Any, singular: str, plural: str) -> str:
    return f"{n} {singular if str(n) == '1' else plural}"


_MENSAJES: dict[str, Any] = {
    "missing": "falta y es obligatorio",
    "json_invalid": "el cuerpo no es un JSON válido",
    "json_type": "el cuerpo debe ser JSON",
    "model_type": "debe ser un objeto JSON",
    "model_attributes_type": "debe ser un objeto JSON",
    "dict_type": "debe ser un objeto JSON",
    "list_type": "debe ser una lista",
    "tuple_type": "debe ser una lista",
    "set_type": "debe ser una lista",
    "iterable_type": "debe ser una lista",
    "string_type": "debe ser un texto",
    "string_unicode": "debe ser un texto UTF-8 válido",
    "string_too_short": lambda c: (
        "no puede estar vacío"
        if str(c.get("min_length")) == "1"
        else f"demasiado corto (mínimo {_plural(c.get('min_length'), 'carácter', 'caracteres')})"
    ),
    "string_too_long": lambda c: (
        f"demasiado largo (máximo {_plural(c.get('max_length'), 'carácter', 'caracteres')})"
    ),
    "string_pattern_mismatch": lambda c: f"formato no válido (debe cumplir {c.get('pattern')})",
    "too_short": lambda c: (
        f"demasiado corta (mínimo {_plural(c.get('min_length'), 'elemento', 'elementos')})"
    ),
    "too_long": lambda c: (
        f"demasiado larga (máximo {_plural(c.get('max_length'), 'elemento', 'elementos')})"
    ),
    "bool_type": "debe ser true o false",
    "bool_parsing": "debe ser true o false",
    "int_type": "debe ser un número entero",
    "int_parsing": "debe ser un número entero",
    "int_parsing_size": "número entero demasiado grande",
    "int_from_float": "debe ser un número entero, sin decimales",
    "float_type": "debe ser un número",
    "float_parsing": "debe ser un número",
    "finite_number": "debe ser un número finito",
    "decimal_type": "debe ser un número",
    "decimal_parsing": "debe ser un número",
    "decimal_max_digits": lambda c: (
        f"demasiadas cifras: como mucho {c.get('max_digits')} en total y 2 decimales "
        "(envía 36.3, no 36.300000000000004)"
    ),
    "decimal_max_places": lambda c: (
        f"como mucho {_plural(c.get('decimal_places'), 'decimal', 'decimales')}"
    ),
    "decimal_whole_digits": lambda c: (
        f"demasiado grande (como mucho {c.get('whole_digits')} cifras antes de la coma)"
    ),
    "greater_than": lambda c: f"debe ser mayor que {c.get('gt')}",
    "greater_than_equal": lambda c: f"debe ser mayor o igual que {c.get('ge')}",
    "less_than": lambda c: f"debe ser menor que {c.get('lt')}",
    "less_than_equal": lambda c: f"debe ser menor o igual que {c.get('le')}",
    "multiple_of": lambda c: f"debe ser múltiplo de {c.get('multiple_of')}",
    "enum": lambda c: f"valor no admitido; se admite {_lista(c.get('expected'))}",
    "literal_error": lambda c: f"valor no admitido; se admite {_lista(c.get('expected'))}",
    "date_type": "debe ser una fecha (AAAA-MM-DD)",
    "date_parsing": "debe ser una fecha AAAA-MM-DD válida",
    "date_from_datetime_parsing": "debe ser una fecha AAAA-MM-DD válida",
    "date_from_datetime_inexact": "debe ser una fecha, sin hora",
    "datetime_type": "debe ser una fecha y hora ISO 8601",
    "datetime_parsing": "debe ser una fecha y hora ISO 8601 válida (2025-12-12T09:30:00+01:00)",
    "datetime_from_date_parsing": "debe ser una fecha y hora ISO 8601 válida",
    "datetime_object_invalid": "fecha y hora imposible",
    "timezone_naive": "no debe llevar zona horaria",
    "timezone_aware": "debe llevar zona horaria",
    "uuid_type": "debe ser un UUID",
    "uuid_parsing": "debe ser un UUID",
    "url_type": "debe ser una URL",
    "url_parsing": "debe ser una URL válida",
    "none_required": "debe ser null",
    "union_tag_invalid": "tipo no admitido",
    "union_tag_not_found": "falta el campo que dice su tipo",
    "recursion_loop": "el JSON está anidado demasiado hondo",
}


def mensaje_es(error: Any) -> str:
    """The Spanish message of one pydantic error (a dict of `ValidationError.errors()`)."""
    kind = str(error.get("type", ""))
    ctx = error.get("ctx") or {}
    if kind in ("too_long", "too_short") and isinstance(error.get("input"), str):
        # A bound on a text that pydantic reports as a sequence's (a query parameter's
        # max_length on an annotated str): characters, not "elementos".
        kind = "string_" + kind
    if kind in ("value_error", "assertion_error"):
        # Our own validators raise Spanish messages; pydantic prefixes them in English.
        cause = ctx.get("error")
        text = str(cause) if cause is not None else str(error.get("msg", ""))
        text = text.removeprefix("Value error, ").removeprefix("Assertion failed, ")
        return text or "valor no válido"
    mensaje = _MENSAJES.get(kind, "valor no válido")
    return str(mensaje(ctx) if callable(mensaje) else mensaje)


_LOCATIONS = ("body", "query", "path", "header", "cookie")


def ruta(error: Any) -> list[str]:
    """Where a pydantic error is, as the API names it: its location without the part of
    the request, and the field an `ErrorDeCampo` names within it."""
    camino = [str(p) for p in error.get("loc", ()) if p not in _LOCATIONS]
    causa = (error.get("ctx") or {}).get("error")
    if isinstance(causa, ErrorDeCampo):
        camino += causa.campo.split(".")
    return camino


def _problem(
    status: int,
    title: str,
    detail: str,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body = Problem(title=title, status=status, detail=detail, errors=errors).model_dump()
    if errors is None:
        del body["errors"]
    return JSONResponse(
        body,
        status_code=status,
        media_type="application/problem+json",
        headers=headers,
    )


def _field_errors(raw: Any) -> list[dict[str, Any]]:
    errors = []
    for error in raw:
        kind = str(error.get("type", "invalido"))
        # A body that is not JSON names no field (its loc holds the parser's position).
        path = [] if kind == "json_invalid" else ruta(error)
        campo = ".".join(path) or None
        mensaje = mensaje_es(error)
        if kind == "extra_forbidden":
            name = path[-1] if path else ""
            mensaje = (
                f"'{name}' es de solo lectura: lo calcula el sistema"
                if name in READ_ONLY_FIELDS
                else f"campo desconocido: '{name}'"
            )
        errors.append({"campo": campo, "mensaje": mensaje, "tipo": kind})
    return errors


def errores_de_campo(raw: Any) -> list[dict[str, Any]]:
    """Pydantic errors as the API's Spanish field errors (`campo`, `mensaje`, `tipo`);
    the panel shows the same messages next to its fields."""
    return _field_errors(raw)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def domain_error(_: Request, exc: DomainError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if exc.status_code == 401 else None
        if exc.retry_after is not None:
            headers = {"Retry-After": str(exc.retry_after)}
        return _problem(exc.status_code, exc.title, exc.detail, exc.errors, headers)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = _field_errors(exc.errors())
        sin_json(request, exc.errors(), errors)
        summary = "; ".join(f"{e['campo'] or 'cuerpo'}: {e['mensaje']}" for e in errors[:5])
        return _problem(422, "Datos no válidos", f"Datos no válidos: {summary}", errors)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        detail = exc.detail if isinstance(exc.detail, str) else "Error"
        if exc.status_code == 400 and detail == "There was an error parsing the body":
            # FastAPI's answer to a body its JSON parser gives up on (e.g. nested too deep).
            message = "El cuerpo no es un JSON que se pueda leer"
            return _problem(
                422,
                "Datos no válidos",
                message,
                [{"campo": None, "mensaje": message, "tipo": "json_invalid"}],
            )
        if exc.status_code == 404 and detail == "Not Found":
            detail = "Ruta no encontrada"
        elif exc.status_code == 405:
            detail = "Método no permitido en esta ruta"
        return _problem(exc.status_code, detail, detail, headers=cabeceras_http(request, exc))

    @app.exception_handler(OperationalError)
    async def database_unavailable(_: Request, exc: OperationalError) -> JSONResponse:
        locked = "locked" in str(exc.orig).lower()
        logger.error("database unavailable: %s", "locked" if locked else "unreachable")
        detail = (
            "La base de datos está ocupada por otro proceso; inténtalo de nuevo en unos segundos"
            if locked
            else "La base de datos no responde; inténtalo de nuevo en unos segundos"
        )
        return _problem(503, "Servicio no disponible", detail, headers={"Retry-After": "5"})

    @app.exception_handler(SQLAlchemyTimeoutError)
    async def pool_exhausted(_: Request, exc: SQLAlchemyTimeoutError) -> JSONResponse:
        # The backstop behind `deps.reservar_conexion`: a connection the pool could not
        # hand out within CRM_DB_POOL_TIMEOUT_S.
        logger.error("database connection pool exhausted")
        return _problem(
            503,
            SinConexionError.title,
            SinConexionError.MENSAJE,
            headers={"Retry-After": str(SinConexionError.retry_after)},
        )


def paginas_para(
    app: FastAPI,
    es_suya: Callable[[Request], bool],
    validacion: Callable[[Request, list[dict[str, Any]]], Response],
    http: Callable[[Request, int, Mapping[str, str] | None], Response],
) -> None:
    """Routes for which `es_suya` holds (the panel's) answer a request FastAPI refused
    with `validacion` (given the Spanish field errors), and an HTTP error or a database
    that is busy or unreachable (503) with `http` (status, headers); every other route
    keeps the problem+json above. Call after `install_error_handlers`: it stands in front
    of the handlers installed there."""
    validacion_api = app.exception_handlers[RequestValidationError]
    http_api = app.exception_handlers[StarletteHTTPException]

    async def _del_api(handler: Any, request: Request, exc: Exception) -> Response:
        respuesta = handler(request, exc)
        return await respuesta if inspect.isawaitable(respuesta) else respuesta

    @app.exception_handler(RequestValidationError)
    async def validacion_o_pagina(request: Request, exc: RequestValidationError) -> Response:
        if es_suya(request):
            return validacion(request, _field_errors(exc.errors()))
        return await _del_api(validacion_api, request, exc)

    @app.exception_handler(StarletteHTTPException)
    async def http_o_pagina(request: Request, exc: StarletteHTTPException) -> Response:
        if es_suya(request):
            return http(request, exc.status_code, cabeceras_http(request, exc))
        return await _del_api(http_api, request, exc)

    # A database that is busy or gone, or no connection free in time (`SinConexionError`,
    # a DomainError): the 503 and its Retry-After, as the API answers them.
    for tipo in (OperationalError, SQLAlchemyTimeoutError, DomainError):
        app.add_exception_handler(tipo, _503_o_pagina(app.exception_handlers[tipo], es_suya, http))


def _503_o_pagina(
    api: Any,
    es_suya: Callable[[Request], bool],
    http: Callable[[Request, int, Mapping[str, str] | None], Response],
) -> Callable[[Request, Exception], Any]:
    async def manejar(request: Request, exc: Exception) -> Response:
        respuesta: Response = await api(request, exc)
        if respuesta.status_code != 503 or not es_suya(request):
            return respuesta  # a panel page handles its own domain errors
        espera = respuesta.headers.get("retry-after")
        return http(request, 503, {"Retry-After": espera} if espera else None)

    return manejar


def describir_error(exc: BaseException) -> dict[str, Any]:
    """What a 500 logs: the exception's type, where it was raised and, for a database
    error, the SQL text and SQLSTATE. Never its message: a driver's message carries the
    values (PostgreSQL's DETAIL repeats the failing row), and so may any other exception's."""
    frames = traceback.extract_tb(exc.__traceback__)
    info: dict[str, Any] = {
        "tipo": f"{type(exc).__module__}.{type(exc).__qualname__}",
        "traza": [f"{f.filename}:{f.lineno} {f.name}" for f in frames[-12:]],
    }
    if isinstance(exc, DBAPIError):
        info["sql"] = str(exc.statement)[:2000] if exc.statement else None
        info["sqlstate"] = getattr(exc.orig, "sqlstate", None)
        info["driver"] = type(exc.orig).__qualname__
    return info


class ErrorInesperadoMiddleware:
    """The innermost layer around the routes: an unexpected exception becomes a 500
    problem+json and one sanitised log line (`describir_error`), and goes no further, so
    the server never logs its message or a traceback with the statement's values."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: MutableMapping[str, Any]) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except ClientDisconnect:
            # The sender hung up before its body arrived (a timeout, a load driver closing
            # its connections): nothing was done and nobody is left to answer, so no 500.
            scope.setdefault("state", {})["cliente_desconectado"] = True
            return
        except Exception as exc:
            request_id = scope.get("state", {}).get("request_id")
            logger.error(
                json.dumps(
                    {"event": "error", "request_id": request_id, **describir_error(exc)},
                    ensure_ascii=False,
                )
            )
            if started:
                return
            response = _problem(500, "Error interno", "Error interno del servidor")
            await response(scope, receive, send)
