"""The ASGI application: routers, error handlers and the lifespan (migrations, engine)."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as SQLAlchemyTimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException

from . import __version__
from .api import actividades, clientes, contactos, oportunidades, salud, webhooks
from .api.responses import Problem
from .config import Settings, get_settings
from .db import create_db_engine, create_session_factory, migrate
from .errors import DomainError
from .middleware import (
    MAX_BODY_BYTES,
    BodyLimitMiddleware,
    RateLimitMiddleware,
    RequestLogMiddleware,
    SecurityHeadersMiddleware,
)
from .schemas.common import READ_ONLY_FIELDS

logger = logging.getLogger("smartbilling_crm")

DESCRIPTION = """
El CRM de SmartBilling: contactos, historial, oportunidades y salud de cada cliente,
calculada a partir de sus facturas.

**Autenticación**: todo lo que está bajo `/api/` necesita una clave de API
(`Authorization: Bearer <clave>` o `X-API-Key: <clave>`); pulsa *Authorize*.
En desarrollo la clave es la de `.env.example`.

Los errores son `application/problem+json` con un `detail` legible y, en los 422,
`errors` con cada campo.
"""

_LOCATIONS = ("body", "query", "path", "header", "cookie")


def _problem(
    status: int,
    title: str,
    detail: str,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body = Problem(title=title, status=status, detail=detail, errors=errors)
    return JSONResponse(
        body.model_dump(exclude_none=True),
        status_code=status,
        media_type="application/problem+json",
        headers=headers,
    )


def _field_errors(raw: Any) -> list[dict[str, Any]]:
    errors = []
    for error in raw:
        kind = str(error.get("type", "invalido"))
        # A body that is not JSON names no field (its loc holds the parser's position).
        path = (
            []
            if kind == "json_invalid"
            else [str(p) for p in error.get("loc", ()) if p not in _LOCATIONS]
        )
        campo = ".".join(path) or None
        mensaje = str(error.get("msg", "valor no válido"))
        if kind == "extra_forbidden" and path:
            name = path[-1]
            mensaje = (
                f"'{name}' es de solo lectura: lo calcula el sistema"
                if name in READ_ONLY_FIELDS
                else f"campo desconocido: '{name}'"
            )
        elif mensaje.startswith("Value error, "):
            mensaje = mensaje.removeprefix("Value error, ")
        errors.append({"campo": campo, "mensaje": mensaje, "tipo": kind})
    return errors


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def domain_error(_: Request, exc: DomainError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if exc.status_code == 401 else None
        return _problem(exc.status_code, exc.title, exc.detail, exc.errors, headers)

    @app.exception_handler(RequestValidationError)
    async def validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = _field_errors(exc.errors())
        summary = "; ".join(f"{e['campo'] or 'cuerpo'}: {e['mensaje']}" for e in errors[:5])
        return _problem(422, "Datos no válidos", f"Datos no válidos: {summary}", errors)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
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
        return _problem(exc.status_code, detail, detail, headers=getattr(exc, "headers", None))

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
        logger.error("database connection pool exhausted")
        return _problem(
            503,
            "Servicio no disponible",
            "Demasiadas peticiones a la vez; inténtalo de nuevo en unos segundos",
            headers={"Retry-After": "5"},
        )

    @app.exception_handler(Exception)
    async def unexpected(_: Request, exc: Exception) -> JSONResponse:
        logger.exception("unexpected error")
        return _problem(500, "Error interno", "Error interno del servidor")


class _JsonLines(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        if message.startswith("{"):
            return message
        return json.dumps(
            {
                "event": "log",
                "level": record.levelname.lower(),
                "logger": record.name,
                "msg": message,
            },
            ensure_ascii=False,
        )


def _configure_logging() -> None:
    """One JSON line per event on stderr for the application's loggers (once)."""
    root = logging.getLogger("smartbilling_crm")
    if root.handlers:
        return
    handler = logging.StreamHandler()
    handler.setFormatter(_JsonLines())
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    root.propagate = False


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the application for `settings` (the environment's when omitted)."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if settings.migrate_on_start:
            await run_in_threadpool(migrate, settings.database_url)
        engine = create_db_engine(
            settings.database_url,
            busy_timeout_ms=settings.sqlite_busy_timeout_ms,
            connect_timeout_s=settings.db_connect_timeout_s,
        )
        app.state.engine = engine
        app.state.session_factory = create_session_factory(engine)
        try:
            yield
        finally:
            engine.dispose()

    app = FastAPI(
        title="SmartBilling CRM",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        openapi_tags=[
            {"name": "Clientes", "description": "El cliente 360, la lista, RGPD"},
            {"name": "Contactos", "description": "Personas de contacto de cada cliente"},
            {"name": "Actividades", "description": "Historial de interacciones"},
            {"name": "Oportunidades", "description": "Pipeline de ventas"},
            {"name": "Salud", "description": "Salud y recomendaciones de cada cliente"},
            {"name": "Cartera", "description": "Alertas, cuadro de mando y pipeline"},
            {"name": "Facturación", "description": "Webhook de facturas e importación"},
            {"name": "Sistema", "description": "Estado del servicio"},
        ],
    )
    app.state.settings = settings
    _install_error_handlers(app)
    # Added innermost first: the request log wraps everything, so even a 413 or a 429
    # gets its line and its request id.
    if settings.rate_limit_per_minute:
        app.add_middleware(RateLimitMiddleware, per_minute=settings.rate_limit_per_minute)
    app.add_middleware(BodyLimitMiddleware, limit=MAX_BODY_BYTES)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "PATCH", "PUT", "DELETE"],
            allow_headers=["Authorization", "X-API-Key", "Content-Type", "X-Request-ID"],
            expose_headers=["X-Request-ID", "Retry-After"],
        )
    app.add_middleware(SecurityHeadersMiddleware)
    app.add_middleware(RequestLogMiddleware)
    _configure_logging()
    for router in (
        clientes.router,
        contactos.router,
        actividades.router,
        oportunidades.router,
        salud.router,
        webhooks.router,
    ):
        app.include_router(router)

    @app.get("/healthz", tags=["Sistema"], summary="Estado del servicio")
    def healthz(request: Request) -> JSONResponse:
        """`ok` si la base de datos responde; 503 con `database: unreachable` (no responde) o
        `locked` (SQLite bloqueada por otro proceso) si no."""
        try:
            with request.app.state.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        except Exception as exc:
            state = "locked" if "locked" in str(exc).lower() else "unreachable"
            return JSONResponse({"status": "error", "database": state}, status_code=503)
        return JSONResponse({"status": "ok", "database": "ok"})

    return app


def __getattr__(name: str) -> Any:
    # `smartbilling_crm.main:app` is built on first access, so importing this
    # module (tests, the CLI) does not read the environment.
    if name == "app":
        application = create_app()
        globals()["app"] = application
        return application
    raise AttributeError(name)
