"""Test fixtures: every database test runs on SQLite and on PostgreSQL.

The database of each backend is built once with `alembic upgrade head` (through the
app's own start-up), served by a real uvicorn server in a thread, and reached with
httpx over real HTTP. Tables are emptied after each test, so tests are isolated.

PostgreSQL: `CRM_TEST_POSTGRES_URL` (default postgres@127.0.0.1:5432). Unreachable ->
the PostgreSQL half is skipped with the reason, except with CI=true, where it fails.
"""

from __future__ import annotations

import os
import re
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url

from smartbilling_crm.config import Settings
from smartbilling_crm.kit.db import create_db_engine
from smartbilling_crm.kit.deps import get_now
from smartbilling_crm.main import create_app
from smartbilling_crm.models import Base

API_KEY = "test-api-key-0123456789abcdef"
# Two secrets configured, as during a rotation: the new one and the one being retired.
WEBHOOK_SECRET = "whsec_dGVzdC13ZWJob29rLXNlY3JldC0wMTIzNDU2Nzg5"
WEBHOOK_SECRET_OLD = "whsec_b2xkLXdlYmhvb2stc2VjcmV0LXJldGlyaW5nLTk4NzY1"
PG_ADMIN_URL = os.environ.get(
    "CRM_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


# Words of pydantic's, email-validator's and Python's own messages: none may reach a 422.
ENGLISH_IN_422 = re.compile(
    r"Input should|Field required|should (have|be|match)|Value error|Extra inputs|"
    r"Assertion failed|Decimal input|String should|An email address|must have|"
    r"\bvalid\b|\bNone\b|\bor equal\b|\bnot permitted\b"
)


def assert_spanish_422(response: httpx.Response) -> None:
    """A 422 speaks Spanish: its detail and every field message."""
    if response.status_code != 422:
        return
    response.read()
    if "json" not in response.headers.get("content-type", ""):
        # A panel page: the same Spanish messages, rendered next to their fields.
        english = ENGLISH_IN_422.findall(response.text)
        assert not english, f"a 422 page not in Spanish: {english}"
        return
    body = response.json()
    texts = [body.get("detail", "")] + [e.get("mensaje", "") for e in body.get("errors") or []]
    english = [t for t in texts if ENGLISH_IN_422.search(str(t))]
    assert not english, f"a 422 not in Spanish: {english}"


@pytest.fixture(autouse=True, scope="session")
def _every_422_is_spanish() -> Iterator[None]:
    """Every 422 any test receives over HTTP is checked (contract §10)."""
    original = httpx.Client.send

    def send(self: httpx.Client, request: httpx.Request, **kwargs: Any) -> httpx.Response:
        response = original(self, request, **kwargs)
        assert_spanish_422(response)
        return response

    httpx.Client.send = send  # type: ignore[method-assign]
    try:
        yield
    finally:
        httpx.Client.send = original  # type: ignore[method-assign]


def fresh_postgres_database() -> Iterator[str]:
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:
        admin.dispose()
        where = make_url(PG_ADMIN_URL).render_as_string()
        reason = f"PostgreSQL unreachable at {where}: {exc.__class__.__name__}"
        if IN_CI:
            pytest.fail(f"CI=true and {reason}", pytrace=False)
        pytest.skip(reason)
    name = f"crm_test_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@dataclass
class Clock:
    """The injected "now"; `None` means the real clock."""

    fixed: datetime | None = None

    def set(self, value: datetime) -> None:
        self.fixed = value if value.tzinfo else value.replace(tzinfo=UTC)

    def now(self) -> datetime:
        return self.fixed or datetime.now(UTC)


class ServerThread:
    """A real uvicorn server on a free loopback port, in a background thread."""

    def __init__(self, app: FastAPI) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        config = uvicorn.Config(app, log_level="warning", lifespan="on", access_log=False)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True
        )

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.thread.start()
        deadline = time.monotonic() + 60
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("test server did not start")
            time.sleep(0.02)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)
        self.sock.close()

    def __enter__(self) -> ServerThread:
        """`with ServerThread(app) as server:` started, and stopped however the block ends."""
        self.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()


@dataclass
class Backend:
    """One database backend under test, with its server."""

    name: str
    url: str
    app: FastAPI
    server: ServerThread
    engine: Engine  # the tests' own engine, for cleanup and direct checks
    clock: Clock
    statements: list[str] = field(default_factory=list)

    @property
    def app_engine(self) -> Engine:
        engine: Engine = self.app.state.engine
        return engine

    def truncate(self) -> None:
        # The rows go behind the app's back (as nothing but a test does): the 360s it keeps
        # would be found again by a client created with the same id, instant and writes.
        self.app.state.cache_360.vaciar()
        tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
        with self.engine.begin() as conn:
            if self.name == "postgresql":
                conn.execute(text("TRUNCATE " + ", ".join(tables) + " CASCADE"))
            else:
                for table in tables:
                    conn.execute(text(f"DELETE FROM {table}"))
                # The triggers of the deletes above wrote the running totals again.
                for table in ("contadores_cartera", "cartera_por_fecha", "contadores_pendientes"):
                    conn.execute(text(f"DELETE FROM {table}"))


def make_settings(url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "DATABASE_URL": url,
        "CRM_ENV": "development",
        "CRM_API_KEYS": API_KEY,
        "CRM_WEBHOOK_SECRETS": f"{WEBHOOK_SECRET} {WEBHOOK_SECRET_OLD}",
        "CRM_TIMEZONE": "Europe/Madrid",
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def backend(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Backend]:
    """A migrated database of each kind, served over HTTP by the real app."""
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("sqlite") / "crm.db"
        urls: Iterator[str] = iter([f"sqlite:///{path}"])
    else:
        urls = fresh_postgres_database()
    url = next(urls)
    clock = Clock()
    app = create_app(make_settings(url))
    app.dependency_overrides[get_now] = clock.now
    server = ServerThread(app)
    server.start()
    engine = create_db_engine(url)
    backend = Backend(request.param, url, app, server, engine, clock)

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        backend.statements.append(statement)

    event.listen(app.state.engine, "before_cursor_execute", record)
    try:
        yield backend
    finally:
        server.stop()
        engine.dispose()
        for _ in urls:  # finish the PostgreSQL generator: drops the database
            pass


@pytest.fixture
def db(backend: Backend) -> Iterator[Backend]:
    """The backend, emptied after the test and with the real clock restored."""
    backend.statements.clear()
    try:
        yield backend
    finally:
        backend.clock.fixed = None
        backend.truncate()


@pytest.fixture
def api(db: Backend) -> Iterator[httpx.Client]:
    """An httpx client authenticated with the test API key."""
    with httpx.Client(
        base_url=db.server.base_url,
        headers={"Authorization": f"Bearer {API_KEY}"},
        timeout=30,
    ) as client:
        yield client


@pytest.fixture
def anon(db: Backend) -> Iterator[httpx.Client]:
    """An httpx client without credentials."""
    with httpx.Client(base_url=db.server.base_url, timeout=30) as client:
        yield client


@pytest.fixture
def make_cliente(api: httpx.Client) -> Callable[..., dict[str, Any]]:
    """Create a client through the API; returns the 360 body."""
    counter = iter(range(1, 1_000_000))

    def _make(**fields: Any) -> dict[str, Any]:
        n = next(counter)
        body = {"nombre_empresa": f"Empresa {n} S.L.", "email": f"empresa{n}@ejemplo.es", **fields}
        response = api.post("/api/clientes/", json=body)
        assert response.status_code == 201, response.text
        result: dict[str, Any] = response.json()
        return result

    return _make
