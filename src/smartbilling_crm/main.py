"""Assembly of the ASGI application: settings, lifespan, middleware, error handlers, routers."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, nullcontext
from datetime import UTC, datetime
from typing import Any

import anyio
from fastapi import FastAPI
from fastapi.concurrency import run_in_threadpool
from fastapi.middleware.cors import CORSMiddleware

from smartbilling_crm import __version__
from smartbilling_crm.actividades import endpoints as actividades
from smartbilling_crm.cartera import endpoints as cartera
from smartbilling_crm.clientes import endpoints as clientes
from smartbilling_crm.clientes.cache import Cache360
from smartbilling_crm.config import DEV_USER_EMAIL, Settings, get_settings
from smartbilling_crm.contactos import endpoints as contactos
from smartbilling_crm.facturacion import endpoints as facturacion
from smartbilling_crm.kit import sistema
from smartbilling_crm.kit.db import (
    create_db_engine,
    create_session_factory,
    is_sqlite,
    migrate,
    pool_por_proceso,
    sqlite_file,
    transaction,
)
from smartbilling_crm.kit.documentacion import instalar_documentacion, operation_id
from smartbilling_crm.kit.errores import COMMON, ErrorInesperadoMiddleware, install_error_handlers
from smartbilling_crm.kit.limite import RateLimitMiddleware
from smartbilling_crm.kit.logs import configure_logging
from smartbilling_crm.kit.middleware import (
    MAX_BODY_BYTES,
    BarraFinalMiddleware,
    BodyLimitMiddleware,
    HeadMiddleware,
    RequestLogMiddleware,
    SecurityHeadersMiddleware,
    ZonaHorariaMiddleware,
)
from smartbilling_crm.kit.puntos_de_control import PuntosDeControl
from smartbilling_crm.oportunidades import endpoints as oportunidades
from smartbilling_crm.panel import routes as panel
from smartbilling_crm.salud import endpoints as salud
from smartbilling_crm.salud import service as salud_service
from smartbilling_crm.usuarios import service as usuarios_service

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


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the application for `settings` (the environment's when omitted)."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if settings.migrate_on_start:
            await run_in_threadpool(migrate, settings.database_url)
        pool = pool_por_proceso(settings.db_max_conexiones, settings.workers)
        fichero = sqlite_file(settings.database_url)
        engine = create_db_engine(
            settings.database_url,
            busy_timeout_ms=settings.sqlite_busy_timeout_ms,
            connect_timeout_s=settings.db_connect_timeout_s,
            statement_timeout_s=settings.db_statement_timeout_s,
            # This process's share of the budget: CRM_WORKERS processes never open more
            # than CRM_DB_MAX_CONEXIONES together.
            pool=pool,
            pool_timeout_s=settings.db_pool_timeout_s,
            sqlite_cache_mb=settings.sqlite_cache_mb,
            sqlite_checkpoints_aparte=fichero is not None,
        )
        app.state.engine = engine
        # As many requests at once as the pool has connections (`deps.reservar_conexion`).
        app.state.plazas_de_conexion = anyio.Semaphore(pool.maximo)
        # SQLite has one writer at a time: this process's writes queue here in arrival order
        # (`deps.reservar_conexion`) instead of polling for the file's lock.
        app.state.turno_de_escritura = anyio.Lock() if is_sqlite(settings.database_url) else None
        # The hot reads run CRM_HILOS_LECTURA at a time; the rest wait on the event loop
        # (`deps.EnUnidad`).
        app.state.carril_de_lectura = anyio.Semaphore(settings.hilos_lectura)
        app.state.identidad = await run_in_threadpool(sistema.identidad, settings.database_url)
        app.state.session_factory = create_session_factory(engine)
        if settings.env == "development":
            await run_in_threadpool(_usuario_demo, app.state.session_factory, settings)
        # SQLite: the write-ahead log is copied into the file by a thread of its own, not
        # by the commit of whichever request crosses 1,000 pages (`kit.db.PuntosDeControl`).
        with PuntosDeControl(fichero) if fichero is not None else nullcontext():
            try:
                yield
            finally:
                engine.dispose()

    app = FastAPI(
        title="SmartBilling CRM",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        generate_unique_id_function=operation_id,
        responses=COMMON,
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
    # The client 360s this worker keeps rendered while their clients are unchanged.
    app.state.cache_360 = Cache360(settings.cache_360)
    instalar_documentacion(app)
    # The declared effect of every unit of work: touched clients get their health refreshed.
    app.state.efectos = (salud_service.refrescar_tocados,)
    install_error_handlers(app)
    # Added innermost first: the request log wraps everything, so even a 413 or a 429
    # gets its line and its request id. Unexpected errors are caught innermost.
    app.add_middleware(ErrorInesperadoMiddleware)
    app.add_middleware(BarraFinalMiddleware, router=app.router)
    if settings.rate_limit_per_minute:
        app.add_middleware(
            RateLimitMiddleware,
            per_minute=settings.rate_limit_per_minute,
            api_keys=settings.api_keys,
        )
    app.add_middleware(BodyLimitMiddleware, limit=MAX_BODY_BYTES)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "PATCH", "PUT", "DELETE"],
            allow_headers=[
                "Authorization",
                "X-API-Key",
                "Content-Type",
                "X-Request-ID",
                "If-None-Match",
            ],
            # What a browser script may read: the CSV's file name, the per-client lists'
            # totals, the request id to quote in a bug report, when to retry, and the
            # client 360's tag to ask again with.
            expose_headers=[
                "ETag",
                "Content-Disposition",
                "X-Total-Count",
                "X-Request-ID",
                "Retry-After",
            ],
        )
    # The panel's session cookie sits inside the body cap and the security headers.
    panel.instalar(app, settings)
    app.add_middleware(ZonaHorariaMiddleware, tz=settings.tz)
    app.add_middleware(SecurityHeadersMiddleware)
    # Inside the log (which records HEAD), outside everything else: even a 413 or a 429
    # answers a HEAD without a body.
    app.add_middleware(HeadMiddleware)
    app.add_middleware(RequestLogMiddleware)
    configure_logging()
    for router in (
        clientes.router,
        contactos.router,
        actividades.router,
        oportunidades.router,
        salud.router,
        cartera.router,
        facturacion.router,
        sistema.router,
    ):
        app.include_router(router)

    return app


def _usuario_demo(factory: Any, settings: Settings) -> None:
    """Development only: the documented panel user exists (contract §9)."""
    with transaction(factory) as session:
        if usuarios_service.asegurar_usuario_demo(session, settings, datetime.now(UTC)):
            logger.info("usuario de desarrollo del panel creado: %s", DEV_USER_EMAIL)


def __getattr__(name: str) -> Any:
    # `smartbilling_crm.main:app` is built on first access, so importing this
    # module (tests, the CLI) does not read the environment.
    if name == "app":
        application = create_app()
        globals()["app"] = application
        return application
    raise AttributeError(name)
