"""Engine, sessions and migrations: the only module that commits.

SQLite gets foreign keys, WAL and a busy timeout on every connection; PostgreSQL
goes through psycopg 3. Migrations run under a lock (a PostgreSQL advisory lock,
or a file lock next to the SQLite file) so several workers can start at once.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import psycopg
from psycopg.errors import _WaitTimeout  # psycopg's own "wait timeout expired"
from sqlalchemy import Engine, create_engine, event, exc, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from smartbilling_crm.kit.puntos_de_control import AUTOCHECKPOINT_RESPALDO

if TYPE_CHECKING:
    from alembic.config import Config

PROJECT_ROOT = Path(__file__).resolve().parents[3]
# Arbitrary constant shared by every worker: "SBCRM" in ASCII.
MIGRATION_LOCK_KEY = 0x5342_43524D
# The daily recompute's own lock: "SBCRMR".
RECALCULO_LOCK_KEY = 0x5342_43524D52
# `verificar-cartera --reparar`: two repairs at once would both add the same difference.
CARTERA_LOCK_KEY = 0x5342_43524D43
SQLITE_BUSY_TIMEOUT_MS = 5000


@dataclass(frozen=True)
class PoolPorProceso:
    """One server process's share of the connection budget: up to `pool_size` connections,
    opened as requests need them and kept open once opened; `max_overflow` more opened for
    a burst and closed when returned (none: see `pool_por_proceso`)."""

    pool_size: int
    max_overflow: int

    @property
    def maximo(self) -> int:
        return self.pool_size + self.max_overflow


def pool_por_proceso(max_conexiones: int, procesos: int) -> PoolPorProceso:
    """Split `max_conexiones` (what the whole service may open) between `procesos` server
    processes, so that `procesos` × their maximum never exceeds it.

    The whole share is pool, none of it overflow: 30 for one process is 30, for four 7
    each. A pool opens a connection only when every open one is busy, and keeps it: under
    a steady load above its size, an overflow connection was opened and closed for each
    request that needed one, a new server process per request on PostgreSQL. With a third
    of the share kept open (as until 2026-12-04), PostgreSQL with 4 workers took 101
    webhook events/s where it now takes 132 (16 connections, 20k clients, alternated)."""
    if procesos < 1 or max_conexiones < procesos:
        raise ValueError(
            f"{max_conexiones} conexiones no alcanzan para {procesos} procesos "
            "(al menos una cada uno)"
        )
    return PoolPorProceso(pool_size=max_conexiones // procesos, max_overflow=0)


def normalise_url(url: str) -> str:
    """Accept `postgres://` and `postgresql://` and use psycopg 3 for both."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url.removeprefix("postgres://")
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return url


def is_sqlite(url: str) -> bool:
    return make_url(normalise_url(url)).get_backend_name() == "sqlite"


def sqlite_file(url: str) -> Path | None:
    """The file a SQLite URL points at (None for PostgreSQL or an in-memory database)."""
    parsed = make_url(normalise_url(url))
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database).absolute()


def _sqlite_pragmas(
    busy_timeout_ms: int, cache_mb: int | None, autocheckpoint: int | None
) -> Callable[[Any, Any], None]:
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # pysqlite's own transaction handling would defer BEGIN; let SQLAlchemy emit it.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        if cache_mb is not None:
            # Each connection may cache up to `cache_mb` of pages (SQLite's default: 2 MB),
            # and SQLite recycles cached pages across all of this process' connections to
            # keep its heap near `cache_mb` (the soft heap limit is per process): a pool
            # of 30 connections holds at most about `cache_mb`, not 30 times it.
            cursor.execute(f"PRAGMA cache_size={-int(cache_mb) * 1024}")
            cursor.execute(f"PRAGMA soft_heap_limit={int(cache_mb) * 1024 * 1024}")
        if autocheckpoint is not None:
            cursor.execute(f"PRAGMA wal_autocheckpoint={int(autocheckpoint)}")
        cursor.close()

    return on_connect


READ_ONLY = "crm_read_only"


@contextmanager
def instantanea(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A read-only transaction whose statements all see one snapshot (PostgreSQL: REPEATABLE
    READ; SQLite: a read transaction is one): the portfolio counters' check, whose recount
    and totals must agree, and an export read page by page, which must neither skip nor
    repeat a row that a write moves between two pages."""
    session = factory()
    opciones: dict[str, Any] = {READ_ONLY: True, "postgresql_readonly": True}
    if session.get_bind().dialect.name == "postgresql":
        opciones["isolation_level"] = "REPEATABLE READ"
    try:
        session.connection(execution_options=opciones)  # SQLite: BEGIN, not the write lock
        yield session
    finally:
        session.rollback()
        session.close()


def _sqlite_begin(conn: Any) -> None:
    # A writer takes the write lock up front (BEGIN IMMEDIATE), so two writers queue
    # on the busy timeout instead of failing with "database is locked" at commit.
    # A read-only transaction begins deferred: in WAL mode it neither waits for nor
    # blocks writers.
    if conn.get_execution_options().get(READ_ONLY):
        conn.exec_driver_sql("BEGIN")
    else:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


# The liveness check of a pooled PostgreSQL connection, at each checkout.
PING_TIMEOUT_S = 2.0


class ConexionConPlazo(psycopg.Connection[Any]):
    """A psycopg connection whose every wait on the network (statement, fetch, commit,
    ping) ends after `plazo_s`: a database that stops answering without closing the
    socket (a frozen proxy, a half-open connection) is an error, not a hung request.
    On expiry the connection is closed, so the pool discards it."""

    plazo_s: float | None = None

    def wait(self, gen: Any, interval: float = 0.1, timeout: float | None = None) -> Any:
        plazo = timeout if timeout is not None else self.plazo_s
        try:
            return super().wait(gen, interval=interval, timeout=plazo)
        except _WaitTimeout as error:
            self.close()
            raise psycopg.OperationalError(
                f"la base de datos no respondió en {plazo:g} s"
            ) from error


def _postgresql_bounded(engine: Engine, statement_timeout_s: float) -> None:
    """Every wait of `engine` bounded: the statement (server side and client side), the
    liveness check at checkout, and connecting (libpq's connect_timeout)."""

    @event.listens_for(engine, "do_connect")
    def connect(_dialect: Any, _record: Any, cargs: Any, cparams: Any) -> Any:
        conexion = ConexionConPlazo.connect(*cargs, **cparams)
        # The client waits a little longer than the server's own statement_timeout, so a
        # slow statement is cancelled by the server (and the connection stays usable).
        conexion.plazo_s = statement_timeout_s + 1
        return conexion

    @event.listens_for(engine, "checkout")
    def ping(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
        # In autocommit, one round trip: in a transaction psycopg sends BEGIN before the
        # empty statement and it needs a ROLLBACK after (three; the check 0.26 → 0.10 ms).
        dbapi_connection.plazo_s = PING_TIMEOUT_S
        antes = dbapi_connection.autocommit
        try:
            dbapi_connection.autocommit = True
            dbapi_connection.execute(";", prepare=False)
            dbapi_connection.autocommit = antes  # back as the pool handed it
        except psycopg.Error as error:
            # The pool discards this connection and tries a new one (connect_timeout).
            raise exc.DisconnectionError("conexión caída") from error
        finally:
            dbapi_connection.plazo_s = statement_timeout_s + 1


def create_db_engine(
    url: str,
    *,
    busy_timeout_ms: int = SQLITE_BUSY_TIMEOUT_MS,
    connect_timeout_s: int = 5,
    statement_timeout_s: float | None = None,
    pool: PoolPorProceso | None = None,
    pool_timeout_s: float | None = None,
    sqlite_cache_mb: int | None = None,
    sqlite_checkpoints_aparte: bool = False,
    **kwargs: Any,
) -> Engine:
    """An engine for `url` with the project's connection settings.

    SQLite waits up to `busy_timeout_ms` for a lock (then "database is locked");
    PostgreSQL gives up connecting after `connect_timeout_s`, so an unreachable
    server is a quick error, never a hung request. Pooled PostgreSQL connections are
    checked before use, so the service recovers by itself when the database returns.
    Bound values never appear in an error's text (`hide_parameters`).

    `statement_timeout_s` (the server's engine; migrations and batch commands go
    without): PostgreSQL cancels a statement after it, the client gives up one second
    later whatever the network does, the liveness check gives up after 2 s, TCP
    keepalives and tcp_user_timeout drop a dead peer.

    `pool` (the server's share of `CRM_DB_MAX_CONEXIONES`, see `pool_por_proceso`): at
    most `pool.maximo` connections at once, on PostgreSQL and on a SQLite file alike
    (without it, 10 + 20 on PostgreSQL and SQLAlchemy's 5 + 10 on SQLite). A request that
    finds them all busy waits `pool_timeout_s` (default `connect_timeout_s`), then
    `sqlalchemy.exc.TimeoutError`: a 503 with Retry-After (`kit.errores`).

    `sqlite_cache_mb` (the server's engine, `CRM_SQLITE_CACHE_MB`): how much of the file
    SQLite keeps in memory for this process' connections together; None keeps SQLite's
    default of 2 MB per connection (the batch commands, which read each page once).

    `sqlite_checkpoints_aparte` (the server's engine, which runs `PuntosDeControl`): its
    commits no longer copy the write-ahead log into the file every 1,000 pages; they do
    it only past `AUTOCHECKPOINT_RESPALDO`, should the checkpointer fall behind.
    """
    url = normalise_url(url)
    espera = pool_timeout_s if pool_timeout_s is not None else connect_timeout_s
    if pool is not None:
        kwargs.setdefault("pool_size", pool.pool_size)
        kwargs.setdefault("max_overflow", pool.max_overflow)
    if is_sqlite(url):
        database = make_url(url).database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        else:
            # In memory: one connection per thread (SingletonThreadPool), nothing to share.
            kwargs.pop("pool_size", None)
            kwargs.pop("max_overflow", None)
        # No pre-ping: a SQLite connection is a file handle, it does not go stale as a
        # server's does, and the ping was a statement on every checkout.
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": busy_timeout_ms / 1000},
            hide_parameters=True,
            pool_timeout=espera,
            **kwargs,
        )
        autocheckpoint = AUTOCHECKPOINT_RESPALDO if sqlite_checkpoints_aparte else None
        event.listen(
            engine, "connect", _sqlite_pragmas(busy_timeout_ms, sqlite_cache_mb, autocheckpoint)
        )
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 20)
    kwargs.setdefault("pool_timeout", espera)
    connect_args: dict[str, Any] = {"connect_timeout": connect_timeout_s}
    if statement_timeout_s is None:
        return create_engine(
            url, pool_pre_ping=True, hide_parameters=True, connect_args=connect_args, **kwargs
        )
    ms = int(statement_timeout_s * 1000)
    connect_args |= {
        "keepalives": 1,
        "keepalives_idle": 5,
        "keepalives_interval": 2,
        "keepalives_count": 2,
        "tcp_user_timeout": ms,
        "options": f"-c statement_timeout={ms} -c idle_in_transaction_session_timeout={6 * ms}",
    }
    engine = create_engine(url, hide_parameters=True, connect_args=connect_args, **kwargs)
    _postgresql_bounded(engine, statement_timeout_s)
    return engine


def create_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False, autoflush=False)


@contextmanager
def transaction(factory: sessionmaker[Session], *, read_only: bool = False) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error.

    `read_only` (GET requests): SQLite begins a deferred transaction instead of taking
    the write lock, and PostgreSQL runs it READ ONLY, so a stray write fails loudly.
    """
    session = factory()
    _empezar(session, read_only=read_only)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def _empezar(session: Session, *, read_only: bool) -> None:
    if read_only:
        session.connection(execution_options={READ_ONLY: True, "postgresql_readonly": True})


@contextmanager
def lectura_en_pausa(session: Session) -> Iterator[None]:
    """End a read-only transaction and begin a new read-only one after the block.

    For a read that must write first in a transaction of its own (the lazy health
    recompute): the request gives its connection back meanwhile, so it never holds two
    (a burst of such reads cannot exhaust the pool waiting on itself), and the reads
    after the block see what was committed in it (SQLite keeps a read transaction's
    snapshot until it ends). Objects already loaded stay usable (`expire_on_commit=False`).
    """
    if session.new or session.dirty or session.deleted:
        raise RuntimeError("una transacción con cambios pendientes no se pausa")
    session.commit()  # read-only: nothing to write; releases the connection
    try:
        yield
    finally:
        _empezar(session, read_only=True)


class OcupadoError(Exception):
    """Another process holds the exclusive lock asked for."""


@contextmanager
def cerrojo_exclusivo(engine: Engine, clave: int, nombre: str) -> Iterator[None]:
    """Hold an exclusive, non-waiting lock for the block, or raise `OcupadoError` at once.

    PostgreSQL: a session-level `pg_try_advisory_lock(clave)` on a connection of its own,
    held (idle, outside any transaction) until the block ends, and released by the server
    if the process dies. A SQLite file: `flock` on `<file>.<nombre>.lock` beside it, also
    released by the kernel when the process dies. In memory: nothing to share."""
    url = engine.url.render_as_string(hide_password=False)
    if engine.dialect.name != "sqlite":
        with engine.connect() as connection:
            tomado = connection.execute(
                text("SELECT pg_try_advisory_lock(:key)"), {"key": clave}
            ).scalar()
            connection.commit()
            if not tomado:
                raise OcupadoError(nombre)
            try:
                yield
            finally:
                connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": clave})
                connection.commit()
        return
    fichero = sqlite_file(url)
    if fichero is None:
        yield
        return
    with open(fichero.with_name(f"{fichero.name}.{nombre}.lock"), "a") as lock_file:
        try:
            fcntl.flock(lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise OcupadoError(nombre) from None
        try:
            yield
        finally:
            fcntl.flock(lock_file, fcntl.LOCK_UN)


def alembic_config(url: str) -> Config:
    # Imported here: the recompute's worker processes use this module and never migrate
    # (Alembic is 90 ms of a process' start).
    from alembic.config import Config

    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    config.set_main_option("sqlalchemy.url", normalise_url(url).replace("%", "%%"))
    return config


def migrate(url: str) -> None:
    """Bring the database to the newest revision; safe to call from many workers at once."""
    from alembic import command

    url = normalise_url(url)
    config = alembic_config(url)
    if is_sqlite(url):
        database = make_url(url).database or ""
        lock_path = (
            Path(database + ".migrate.lock")
            if database and database != ":memory:"
            else Path(os.devnull)
        )
        if lock_path != Path(os.devnull):
            lock_path.parent.mkdir(parents=True, exist_ok=True)
        with open(lock_path, "a") as lock_file:
            fcntl.flock(lock_file, fcntl.LOCK_EX)
            try:
                command.upgrade(config, "head")
            finally:
                fcntl.flock(lock_file, fcntl.LOCK_UN)
        return
    engine = create_db_engine(url, pool_size=1)
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
            connection.commit()
            try:
                config.attributes["connection"] = connection
                command.upgrade(config, "head")
                connection.commit()
            finally:
                connection.execute(
                    text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK_KEY}
                )
                connection.commit()
    finally:
        engine.dispose()
