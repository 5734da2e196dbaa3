"""Faults, with real server processes: the database goes away and comes back, SQLite is
locked by another process. Clear 503s, no hang, no stack trace, and recovery by itself."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy.engine import make_url

from .conftest import Backend
from .procesos import ServerProcess, TcpProxy


def test_postgresql_unreachable_is_503_and_the_service_recovers(
    db: Backend, tmp_path: Path
) -> None:
    if db.name != "postgresql":
        pytest.skip("a network cut only exists for PostgreSQL; SQLite is a local file")
    url = make_url(db.url)
    proxy = TcpProxy(url.host or "127.0.0.1", url.port or 5432)
    proxy.restore()
    via_proxy = url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    server = ServerProcess(via_proxy, tmp_path / "server.log", CRM_DB_CONNECT_TIMEOUT_S="2")
    server.start()
    try:
        with server.client() as client:
            assert client.get("/api/clientes/").status_code == 200
            body = {"id": "c360", "nombre_empresa": "Cortada S.L.", "email": "c@cortada.es"}
            assert client.post("/api/clientes/", json=body).status_code == 201
            assert client.get("/api/clientes/c360").status_code == 200  # kept rendered

            proxy.cut()
            # The list, and the client 360, whose kept bytes are checked on a driver
            # connection of their own (`EnUnidad`'s `atajo`).
            for path in ("/api/clientes/", "/api/clientes/c360"):
                started = time.monotonic()
                down = client.get(path)
                assert time.monotonic() - started < 15, path  # no hang
                assert down.status_code == 503, (path, down.text)
                assert down.json()["detail"].startswith("La base de datos no responde")
                assert down.headers["retry-after"] == "5"
                assert "Traceback" not in down.text
            health = client.get("/healthz")
            assert health.status_code == 503
            assert health.json() == {
                "status": "error",
                "database": "unreachable",
                "check": "connection",
            }

            proxy.restore()
            assert client.get("/healthz").json() == {"status": "ok", "database": "ok"}
            assert client.get("/api/clientes/").status_code == 200
    finally:
        server.stop()
        proxy.cut()
    assert "Traceback" not in (tmp_path / "server.log").read_text()


def test_locked_sqlite_is_retried_then_503_and_works_when_released(
    db: Backend, tmp_path: Path
) -> None:
    if db.name != "sqlite":
        pytest.skip("file locks are a SQLite matter")
    server = ServerProcess(db.url, tmp_path / "server.log", CRM_SQLITE_BUSY_TIMEOUT_MS="300")
    server.start()
    body = {"nombre_empresa": "Bloqueo S.L.", "email": "b@bloqueo.es"}
    holder = sqlite3.connect(make_url(db.url).database or "", isolation_level=None)
    try:
        with server.client() as client:
            holder.execute("BEGIN EXCLUSIVE")
            started = time.monotonic()
            locked = client.post("/api/clientes/", json=body)
            waited = time.monotonic() - started
            assert locked.status_code == 503
            assert "ocupada" in locked.json()["detail"]
            assert 0.3 <= waited < 10  # it waited for the lock, then gave up
            assert client.get("/healthz").json()["database"] == "locked"
            # Reads are not blocked by a writer: WAL, and GETs begin deferred.
            started = time.monotonic()
            assert client.get("/api/clientes/").status_code == 200
            assert time.monotonic() - started < 0.3

            holder.execute("ROLLBACK")
            assert client.post("/api/clientes/", json=body).status_code == 201
            assert client.get("/api/clientes/").json()["total"] == 1
    finally:
        holder.close()
        server.stop()


def test_unreachable_database_at_start_is_a_clear_error(tmp_path: Path) -> None:
    port = TcpProxy("127.0.0.1", 1).port  # a free port nobody listens on
    server = ServerProcess(
        f"postgresql+psycopg://postgres@127.0.0.1:{port}/crm", tmp_path / "server.log"
    )
    server.start(wait=False)
    assert server.process is not None
    try:
        server.process.wait(timeout=60)
    finally:
        server.stop()
    assert server.process.returncode != 0
    with pytest.raises(httpx.HTTPError):
        httpx.get(server.url + "/healthz", timeout=1)


def test_a_frozen_database_is_503_within_10_seconds_and_the_service_recovers(
    db: Backend, tmp_path: Path
) -> None:
    """The database stops answering without closing connections (issue 15.4): pooled
    connections must not hang; every request, /healthz included, answers 503 in < 10 s."""
    if db.name != "postgresql":
        pytest.skip("a frozen network peer only exists for PostgreSQL")
    url = make_url(db.url)
    proxy = TcpProxy(url.host or "127.0.0.1", url.port or 5432)
    proxy.restore()
    via_proxy = url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    server = ServerProcess(via_proxy, tmp_path / "server.log")  # the default timeouts
    server.start()
    try:
        with server.client() as client:
            for _ in range(3):  # several pooled connections
                assert client.get("/api/clientes/").status_code == 200
            assert client.get("/healthz").status_code == 200
            body = {"id": "c360", "nombre_empresa": "Viva S.L.", "email": "v@viva.es"}
            assert client.post("/api/clientes/", json=body).status_code == 201
            assert client.get("/api/clientes/c360").status_code == 200  # kept rendered

            proxy.freeze()
            for method, path in [
                ("GET", "/api/clientes/"),
                ("GET", "/api/clientes/c360"),
                ("GET", "/healthz"),
                ("POST", "/api/clientes/"),
            ]:
                started = time.monotonic()
                body = {"nombre_empresa": "Congelada S.L.", "email": "c@congelada.es"}
                response = client.request(method, path, json=body if method == "POST" else None)
                took = time.monotonic() - started
                assert response.status_code == 503, (path, response.text)
                assert took < 10, (path, took)

            proxy.thaw()
            assert client.get("/healthz").json() == {"status": "ok", "database": "ok"}
            assert client.get("/api/clientes/").status_code == 200
    finally:
        server.stop()
        proxy.cut()
    assert "Traceback" not in (tmp_path / "server.log").read_text()
