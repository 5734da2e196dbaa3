"""FastAPI dependencies as `Annotated` aliases: the unit of work, the API key and the clock."""

from __future__ import annotations

import hmac
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any, TypeVar

import anyio
from fastapi import Depends, Query, Request, Response, Security
from fastapi.concurrency import run_in_threadpool
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.engine import Dialect, Engine
from sqlalchemy.exc import DBAPIError

from smartbilling_crm.config import Settings
from smartbilling_crm.kit.contexto import Contexto, EscrituraNecesaria, unidad_de_trabajo
from smartbilling_crm.kit.excepciones import (
    PayloadTooLargeError,
    SinConexionError,
    UnauthorizedError,
)
from smartbilling_crm.kit.parametros import rechazar_desconocidos

T = TypeVar("T")


# The dependencies that do no I/O are `async def`: FastAPI runs a plain `def` one in a
# worker thread, a hop (and a wait for a free thread under load) for a dictionary lookup.


async def get_settings_from_app(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


SettingsDep = Annotated[Settings, Depends(get_settings_from_app)]


async def get_now() -> datetime:
    """The current instant; tests override this to pin "today"."""
    return datetime.now(UTC)


NowDep = Annotated[datetime, Depends(get_now)]


async def reservar_conexion(request: Request) -> AsyncIterator[None]:
    """A place among the requests that may hold one of this process's database connections
    (its share of CRM_DB_MAX_CONEXIONES), awaited on the event loop.

    Without it, a burst larger than the pool parks the surplus in worker threads blocked on
    the pool, and the requests that do hold a connection wait for a free thread to run
    their endpoint: everyone times out together. Here the surplus waits without a thread,
    and after CRM_DB_POOL_TIMEOUT_S answers 503 with Retry-After."""
    async with _plaza_de_conexion(request, escribe=request.method not in ("GET", "HEAD")):
        yield


@asynccontextmanager
async def _plaza_de_conexion(request: Request, *, escribe: bool) -> AsyncIterator[None]:
    """`reservar_conexion`'s place: for a writer on SQLite, its write turn first."""
    plazas: anyio.Semaphore = request.app.state.plazas_de_conexion
    settings: Settings = request.app.state.settings
    async with _turno_de_escritura(request, settings, escribe=escribe):
        try:
            with anyio.fail_after(settings.db_pool_timeout_s):
                await plazas.acquire()
        except TimeoutError:
            raise SinConexionError() from None
        try:
            yield
        finally:
            plazas.release()


@asynccontextmanager
async def _turno_de_escritura(
    request: Request, settings: Settings, *, escribe: bool
) -> AsyncIterator[None]:
    """On SQLite, a request that may write waits its turn among this process's writers, in
    arrival order, for up to CRM_SQLITE_BUSY_TIMEOUT_MS (then 503 with Retry-After).

    SQLite lets one transaction write at a time and a writer that finds the file locked
    polls for it, sleeping longer each time: under a burst of webhooks the pollers that
    arrived first could keep losing to newer ones until their busy timeout ran out (one of
    582 events at 16 at once got a 503 after 5 s in `make bench`). Reads never wait here."""
    turno: anyio.Lock | None = request.app.state.turno_de_escritura
    if turno is None or not escribe:
        yield
        return
    try:
        with anyio.fail_after(settings.sqlite_busy_timeout_ms / 1000):
            await turno.acquire()
    except TimeoutError:
        raise SinConexionError(SinConexionError.MENSAJE_ESCRITURA) from None
    try:
        yield
    finally:
        turno.release()


def get_contexto(
    request: Request,
    settings: SettingsDep,
    now: NowDep,
    _plaza: Annotated[None, Depends(reservar_conexion, scope="function")],
) -> Iterator[Contexto]:
    """One unit of work per request: committed (after its effects) when the endpoint returns,
    rolled back on error; read-only for GET."""
    with unidad_de_trabajo(
        request.app.state.session_factory,
        settings,
        now,
        request.app.state.efectos,
        read_only=request.method in ("GET", "HEAD"),
    ) as ctx:
        yield ctx


# scope="function": the commit happens before the response is sent, so a failed
# commit is reported to the caller instead of being lost after a 2xx.
ContextoDep = Annotated[Contexto, Depends(get_contexto, scope="function")]


@dataclass(frozen=True)
class EnUnidad:
    """Runs a function in one unit of work (read-only for GET, as `ContextoDep`'s), begun,
    run, confirmed (effects, then commit) and closed in a single worker thread.

    `ContextoDep` costs an async endpoint nothing but a plain one four thread hops (the
    unit's opening, the endpoint, FastAPI's validation of its response, the commit), and on
    SQLite the write turn is held across all of them while the event loop serves other
    requests in between. The hot endpoints (the invoice hook, the client 360, the client
    list, the alerts and the dashboard) await this instead: one hop, the turn held only
    while the writer works.

    A writer's place (and turn) is taken by `get_en_unidad`, for the whole request. A
    read takes its place in the read lane, then a connection's, only around its hop
    (`_plaza_de_lectura`). A read that must store something first (the first read of a
    day of a client whose health is stale: `Contexto.aparte`) leaves both and runs again
    as a writer, with the write turn: on SQLite it never waits for the file's lock while
    holding a place in the lane."""

    request: Request
    settings: Settings
    now: datetime

    async def __call__(
        self,
        trabajo: Callable[[Contexto], T],
        atajo: Callable[[Any, Dialect], T | None] | None = None,
    ) -> T:
        """`trabajo` in a unit of work; a read with `atajo` runs that first, in the same
        hop, on a pooled driver connection with no session or transaction of the app's
        own, and answers what it returns unless that is None.

        `atajo` is for one statement by primary key (the client 360's kept bytes,
        `clientes.cache`): a unit of work and its ORM statement cost 290 µs of Python a
        read on SQLite, the driver's statement 20."""
        state = self.request.app.state

        def en_hilo(read_only: bool) -> T:
            if read_only and atajo is not None:
                rapido = _crudo(state.engine, atajo)
                if rapido is not None:
                    return rapido
            with unidad_de_trabajo(
                state.session_factory,
                self.settings,
                self.now,
                state.efectos,
                read_only=read_only,
                escribe_aparte=False,
            ) as ctx:
                return trabajo(ctx)

        if self.request.method not in ("GET", "HEAD"):
            return await run_in_threadpool(en_hilo, False)
        try:
            async with _plaza_de_lectura(self.request, self.settings):
                return await run_in_threadpool(en_hilo, True)
        except EscrituraNecesaria:
            pass
        async with _plaza_de_conexion(self.request, escribe=True):
            return await run_in_threadpool(en_hilo, False)


def _crudo(engine: Engine, consulta: Callable[[Any, Dialect], T]) -> T:
    """`consulta` on a pooled driver connection, given back after."""
    dialecto = engine.dialect
    try:
        conexion = engine.raw_connection()
        try:
            return consulta(conexion, dialecto)
        finally:
            conexion.close()
    except dialecto.loaded_dbapi.Error as error:
        # The driver's own error (nothing of SQLAlchemy's wraps a raw connection): as
        # SQLAlchemy's, so an unreachable, frozen or busy database is the same 503 as for
        # every other request.
        raise DBAPIError.instance(
            None, None, error, dialecto.loaded_dbapi.Error, dialect=dialecto
        ) from error


@asynccontextmanager
async def _plaza_de_lectura(request: Request, settings: Settings) -> AsyncIterator[None]:
    """A place among the reads running in threads (CRM_HILOS_LECTURA, 2 by default), then
    one among the connections, both awaited on the event loop within one
    CRM_DB_POOL_TIMEOUT_S (then 503 with Retry-After). Taken in that order, a read
    waiting for the lane holds no connection's place a writer could need.

    A read is mostly Python, and one process runs one thread of Python at a time (the GIL):
    16 reads in 16 threads took turns on it, each losing it at every statement (the driver
    lets it go) and waiting to get it back, and they served fewer requests than two did.
    The client 360 under 16 connections on a 20k database, alternated: 253 → 340 req/s
    on SQLite, 191 → 221 on PostgreSQL, with 2 threads (4: 292 and 232; 8 on PostgreSQL:
    197). Writes are not limited: they wait on locks and on the disk (webhooks on
    PostgreSQL with 2 threads for everything: 94 → 67 events/s)."""
    carril: anyio.Semaphore = request.app.state.carril_de_lectura
    plazas: anyio.Semaphore = request.app.state.plazas_de_conexion
    mensaje = SinConexionError.MENSAJE_LECTURA
    try:
        with anyio.fail_after(settings.db_pool_timeout_s):
            await carril.acquire()
            mensaje = SinConexionError.MENSAJE
            try:
                await plazas.acquire()
            except BaseException:
                carril.release()
                raise
    except TimeoutError:
        raise SinConexionError(mensaje) from None
    try:
        yield
    finally:
        plazas.release()
        carril.release()


async def _plaza_si_escribe(request: Request) -> AsyncIterator[None]:
    """`reservar_conexion` for a writer; a read takes its places in `EnUnidad`."""
    if request.method in ("GET", "HEAD"):
        yield
        return
    async with _plaza_de_conexion(request, escribe=True):
        yield


async def get_en_unidad(
    request: Request,
    settings: SettingsDep,
    now: NowDep,
    _plaza: Annotated[None, Depends(_plaza_si_escribe, scope="function")],
) -> EnUnidad:
    """A unit of work as one hop (`EnUnidad`); a writer holds its place among the
    connections (and, on SQLite, its write turn) until the endpoint returns."""
    return EnUnidad(request, settings, now)


EnUnidadDep = Annotated[EnUnidad, Depends(get_en_unidad, scope="function")]

_bearer = HTTPBearer(
    auto_error=False, description="`Authorization: Bearer <clave>` con una clave de CRM_API_KEYS"
)
_api_key_header = APIKeyHeader(
    name="X-API-Key", auto_error=False, description="Alternativa: cabecera `X-API-Key: <clave>`"
)


def _matches_any(candidate: str, keys: list[str]) -> bool:
    # Compare against every key, without stopping early, in constant time each.
    found = False
    for key in keys:
        found |= hmac.compare_digest(candidate.encode(), key.encode())
    return found


async def require_api_key(
    request: Request,
    settings: SettingsDep,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)],
    header_key: Annotated[str | None, Security(_api_key_header)],
) -> None:
    """401 unless the request carries one of the configured API keys; then 422 for a
    query parameter the operation does not take (`kit.parametros`)."""
    candidate = bearer.credentials if bearer is not None else header_key
    if not candidate or not _matches_any(candidate, settings.api_keys):
        raise UnauthorizedError("Falta la clave de API o no es válida")
    rechazar_desconocidos(request)


ApiKeyDep = Depends(require_api_key)


async def read_body_capped(request: Request, limit: int) -> bytes:
    """The raw body, refused with 413 as soon as it passes `limit` bytes (before parsing)."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLargeError(f"El cuerpo supera el máximo de {limit // 1024} KiB")
    chunks = bytearray()
    async for chunk in request.stream():
        chunks.extend(chunk)
        if len(chunks) > limit:
            raise PayloadTooLargeError(f"El cuerpo supera el máximo de {limit // 1024} KiB")
    return bytes(chunks)


def con_total(response: Response, pagina: tuple[list[T], int]) -> list[T]:
    """A per-client list's page as the body, its total in `X-Total-Count`."""
    filas, total = pagina
    response.headers["X-Total-Count"] = str(total)
    return filas


def por_pagina(defecto: int) -> Callable[..., int]:
    """A per-client list's page size (contract §10): `limit`, or its old name `limite`
    when `limit` is not given, `defecto` without either."""
    # The parameters' `Query` as default values, not in `Annotated`: this module's
    # annotations are strings, evaluated later where `defecto` is not in scope.

    def filas_por_pagina(
        request: Request,
        limit: int = Query(defecto, ge=1, le=100, description="Filas por página"),
        limite: int | None = Query(
            None, ge=1, le=100, deprecated=True, description="El nombre antiguo de `limit`"
        ),
    ) -> int:
        if limite is not None and "limit" not in request.query_params:
            return limite
        return limit

    return filas_por_pagina
