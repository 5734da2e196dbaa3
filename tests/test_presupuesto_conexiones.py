"""The connection budget (issue 14.4): CRM_DB_MAX_CONEXIONES is what the whole service may
open, shared by its CRM_WORKERS processes; a request that finds its process's share busy
answers a quick 503 with Retry-After instead of queueing or overrunning the server."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from pydantic import ValidationError
from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from smartbilling_crm import cli
from smartbilling_crm.kit.db import PoolPorProceso, pool_por_proceso
from smartbilling_crm.kit.excepciones import SinConexionError
from smartbilling_crm.main import create_app

from .conftest import API_KEY, Backend, ServerThread, make_settings
from .procesos import ServerProcess, free_port

# --- the split (a pure function) --------------------------------------------------------


@pytest.mark.parametrize(
    ("total", "procesos", "esperado"),
    [
        (30, 1, PoolPorProceso(30, 0)),  # the default
        (30, 4, PoolPorProceso(7, 0)),  # 4 × 7 = 28 ≤ 30
        (100, 4, PoolPorProceso(25, 0)),
        (4, 4, PoolPorProceso(1, 0)),
        (1, 1, PoolPorProceso(1, 0)),
        (2, 1, PoolPorProceso(2, 0)),
    ],
)
def test_each_process_gets_its_share(total: int, procesos: int, esperado: PoolPorProceso) -> None:
    assert pool_por_proceso(total, procesos) == esperado


def test_n_processes_never_exceed_the_total_and_each_gets_one() -> None:
    for total in range(1, 130):
        for procesos in range(1, min(total, 64) + 1):
            pool = pool_por_proceso(total, procesos)
            assert pool.pool_size >= 1 and pool.max_overflow >= 0
            assert procesos * pool.maximo <= total, (total, procesos)
            assert total - procesos * pool.maximo < procesos  # nothing left unused but crumbs


def test_a_budget_below_the_worker_count_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="al menos una"):
        pool_por_proceso(3, 4)
    with pytest.raises(ValidationError, match="CRM_DB_MAX_CONEXIONES \\(3\\) es menor que"):
        make_settings(f"sqlite:///{tmp_path}/x.db", CRM_DB_MAX_CONEXIONES=3, CRM_WORKERS=4)


def test_serve_tells_every_worker_how_many_share_the_budget(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """uvicorn starts the workers afresh; they read CRM_WORKERS to take only their share."""
    monkeypatch.setenv("CRM_WORKERS", "1")  # restored after the test
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/crm.db")
    monkeypatch.setenv("CRM_DB_MAX_CONEXIONES", "20")
    llamadas: list[dict[str, Any]] = []
    # `serve` imports uvicorn when it runs: its `run` is replaced on the module itself.
    monkeypatch.setattr(uvicorn, "run", lambda *a, **kw: llamadas.append(kw))
    result = CliRunner().invoke(cli.app, ["serve", "--workers", "4"])
    assert result.exit_code == 0, result.output
    assert llamadas[0]["workers"] == 4
    assert os.environ["CRM_WORKERS"] == "4"
    assert "4 proceso(s) × hasta 5 conexiones" in result.output

    monkeypatch.setenv("CRM_WORKERS", "2")  # no --workers: CRM_WORKERS decides
    result = CliRunner().invoke(cli.app, ["serve"])
    assert result.exit_code == 0, result.output
    assert llamadas[1]["workers"] == 2


# --- through the real HTTP stack ---------------------------------------------------------


@pytest.fixture
def servidor_de_una_conexion(db: Backend) -> Iterator[tuple[ServerThread, Any]]:
    """The app with a budget of one connection (pool 1 + 0) and a short wait for it."""
    app = create_app(make_settings(db.url, CRM_DB_MAX_CONEXIONES=1, CRM_DB_POOL_TIMEOUT_S=0.5))
    with ServerThread(app) as server:
        yield server, app


def test_no_free_connection_is_a_quick_503_with_retry_after(
    servidor_de_una_conexion: tuple[ServerThread, Any],
) -> None:
    """SQLite (a file, QueuePool) and PostgreSQL alike: the pool is the process's cap."""
    server, app = servidor_de_una_conexion
    engine = app.state.engine
    assert (engine.pool.size(), engine.pool._max_overflow) == (1, 0)
    with httpx.Client(
        base_url=server.base_url, headers={"Authorization": f"Bearer {API_KEY}"}, timeout=30
    ) as client:
        assert client.get("/api/clientes/").status_code == 200
        ocupada = engine.connect()  # someone else holds the only connection
        try:
            for metodo, ruta in [("GET", "/api/clientes/"), ("GET", "/api/dashboard")]:
                inicio = time.monotonic()
                respuesta = client.request(metodo, ruta)
                tardo = time.monotonic() - inicio
                assert respuesta.status_code == 503, respuesta.text
                assert respuesta.headers["content-type"] == "application/problem+json"
                assert respuesta.headers["retry-after"] == "2"
                assert respuesta.json()["detail"].startswith("Demasiadas peticiones a la vez")
                assert 0.5 <= tardo < 2.5  # it waited CRM_DB_POOL_TIMEOUT_S, no longer
            body = {"nombre_empresa": "Sin Sitio S.L.", "email": "s@sinsitio.es"}
            assert client.post("/api/clientes/", json=body).status_code == 503
        finally:
            ocupada.close()
        assert client.get("/api/clientes/").json()["total"] == 0  # nothing half-written
        assert client.post("/api/clientes/", json=body).status_code == 201


@contextmanager
def _clientes_a_la_vez(app: Any, n: int) -> Iterator[tuple[httpx.Client, ThreadPoolExecutor]]:
    """The app served on a thread, an API client that may open `n` connections and `n`
    threads to send its requests at once."""
    with (
        ServerThread(app) as server,
        httpx.Client(
            base_url=server.base_url,
            headers={"Authorization": f"Bearer {API_KEY}"},
            timeout=60,
            limits=httpx.Limits(max_connections=n),
        ) as client,
        ThreadPoolExecutor(n) as pool,
    ):
        yield client, pool


def test_a_burst_beyond_the_budget_waits_off_thread_and_is_served(db: Backend) -> None:
    """64 requests at once against 2 connections: the surplus waits on the event loop, not
    in worker threads blocked on the pool, so the requests holding a connection still find
    a thread and the burst drains (before the wait was moved off-thread, 80 of 96 such
    requests timed out together)."""
    app = create_app(make_settings(db.url, CRM_DB_MAX_CONEXIONES=2, CRM_DB_POOL_TIMEOUT_S=5))
    with _clientes_a_la_vez(app, 64) as (client, pool):
        respuestas = list(pool.map(lambda _: client.get("/api/dashboard"), range(128)))
    estados = [r.status_code for r in respuestas]
    assert set(estados) <= {200, 503}
    assert estados.count(200) >= 0.9 * len(estados), estados
    for respuesta in respuestas:
        if respuesta.status_code == 503:
            assert respuesta.headers["retry-after"] == "2"
            assert respuesta.json()["detail"] == SinConexionError.MENSAJE


def test_connections_are_opened_once_and_kept_under_load(db: Backend) -> None:
    """A share of 4 under 16 clients at once: the process opens at most its 4 connections
    and reuses them. While a third of the share was kept and the rest was overflow, each
    request that found the kept ones busy opened a connection and closed it after (on
    PostgreSQL a new server process per request)."""
    app = create_app(
        make_settings(
            db.url, CRM_DB_MAX_CONEXIONES=4, CRM_DB_POOL_TIMEOUT_S=10, CRM_HILOS_LECTURA=4
        )
    )
    abiertas = 0
    cerrojo = threading.Lock()

    def contar(*_: Any) -> None:
        nonlocal abiertas
        with cerrojo:
            abiertas += 1

    with _clientes_a_la_vez(app, 16) as (client, pool):
        event.listen(app.state.engine, "connect", contar)
        estados = list(pool.map(lambda _: client.get("/api/clientes/").status_code, range(160)))
    assert estados == [200] * 160
    # At least one: reads overlapped beyond the connection opened at start (else the bound
    # proves nothing). Before, 61 (SQLite) and 68 (PostgreSQL).
    assert 1 <= abiertas <= 4, abiertas


def test_hot_reads_run_two_at_a_time_in_threads(db: Backend) -> None:
    """16 clients reading client 360s at once: at most CRM_HILOS_LECTURA (2) of the reads
    hold a thread and a connection at a time, the others wait on the event loop; all
    are served."""
    app = create_app(make_settings(db.url, CRM_HILOS_LECTURA=2, CRM_DB_POOL_TIMEOUT_S=10))
    en_uso = maximo = 0
    cerrojo = threading.Lock()

    def sacada(*_: Any) -> None:
        nonlocal en_uso, maximo
        with cerrojo:
            en_uso += 1
            maximo = max(maximo, en_uso)

    def devuelta(*_: Any) -> None:
        nonlocal en_uso
        with cerrojo:
            en_uso -= 1

    with _clientes_a_la_vez(app, 16) as (client, pool):
        creados = [
            client.post(
                "/api/clientes/",
                json={"nombre_empresa": f"Lectora {i} S.L.", "email": f"l{i}@x.es"},
            )
            for i in range(8)
        ]
        assert [r.status_code for r in creados] == [201] * 8
        ids = [r.json()["id"] for r in creados]
        event.listen(app.state.engine, "checkout", sacada)
        event.listen(app.state.engine, "checkin", devuelta)
        respuestas = list(pool.map(lambda i: client.get(f"/api/clientes/{ids[i % 8]}"), range(160)))
    assert [r.status_code for r in respuestas] == [200] * 160
    assert {r.json()["id"] for r in respuestas} == set(ids)
    # At least one: the listeners saw the reads' connections (else the bound proves
    # nothing). Without the lane, 10.
    assert 1 <= maximo <= 2, maximo


def test_a_read_that_waits_too_long_for_the_lane_is_a_503_with_retry_after(db: Backend) -> None:
    """One read at a time and a wait of a millisecond: of 16 clients reading at once, some
    find the lane taken for longer and are told to come back, none fails otherwise."""
    app = create_app(make_settings(db.url, CRM_HILOS_LECTURA=1, CRM_DB_POOL_TIMEOUT_S=0.001))
    with _clientes_a_la_vez(app, 16) as (client, pool):
        respuestas = list(pool.map(lambda _: client.get("/api/dashboard"), range(160)))
    estados = [r.status_code for r in respuestas]
    assert set(estados) == {200, 503}, estados
    rechazadas = [r for r in respuestas if r.status_code == 503]
    assert {r.headers["retry-after"] for r in rechazadas} == {"2"}
    # Mostly the lane; a read whose millisecond ran out just after it got its place in the
    # lane was still waiting (within the same deadline) for a connection's.
    motivos = {r.json()["detail"] for r in rechazadas}
    assert SinConexionError.MENSAJE_LECTURA in motivos
    assert motivos <= {SinConexionError.MENSAJE_LECTURA, SinConexionError.MENSAJE}


def test_a_stale_read_waiting_to_write_leaves_the_lane_to_the_other_reads(db: Backend) -> None:
    """The first read of a day of a stale client stores its health first. While that write
    waits (another transaction holds the client: SQLite's write lock, PostgreSQL's row),
    it holds no place in the read lane: with a lane of one, another client's 360 is served
    meanwhile. When the lock goes, the stale read answers with today's health."""
    app = create_app(
        make_settings(
            db.url, CRM_HILOS_LECTURA=1, CRM_DB_POOL_TIMEOUT_S=5, CRM_SQLITE_BUSY_TIMEOUT_MS=20000
        )
    )
    with (
        ServerThread(app) as server,
        httpx.Client(
            base_url=server.base_url, headers={"Authorization": f"Bearer {API_KEY}"}, timeout=60
        ) as client,
        ThreadPoolExecutor(1) as pool,
    ):
        ids = []
        for nombre in ("caducada", "aldia"):
            cuerpo = {"nombre_empresa": f"{nombre} S.L.", "email": f"info@{nombre}.es"}
            creado = client.post("/api/clientes/", json=cuerpo)
            assert creado.status_code == 201, creado.text
            ids.append(creado.json()["id"])
        caducada, al_dia = ids
        # Its health alone: a 360 read now would be kept (`clientes.cache`), and the hand
        # edit below changes no stamp a kept 360 is checked against.
        hoy = client.get(f"/api/clientes/{caducada}/salud").json()["fecha_calculo"]
        with db.engine.begin() as conn:
            conn.execute(
                text("UPDATE salud_cliente_extended SET fecha_calculo = :d WHERE cliente_id = :c"),
                {"d": date(2000, 1, 1), "c": caducada},
            )
        with db.engine.connect() as bloqueo:
            # A write of the client's row, left open: on SQLite it holds the file's write
            # lock, on PostgreSQL the row's.
            bloqueo.execute(
                text("UPDATE clientes_extended SET ltv = ltv WHERE id = :c"), {"c": caducada}
            )
            esperando = pool.submit(client.get, f"/api/clientes/{caducada}")
            time.sleep(0.5)
            assert not esperando.done()
            inicio = time.monotonic()
            otra = client.get(f"/api/clientes/{al_dia}")
            assert otra.status_code == 200, otra.text
            assert time.monotonic() - inicio < 2
            assert not esperando.done()
            bloqueo.rollback()
        respuesta = esperando.result(timeout=30)
    assert respuesta.status_code == 200, respuesta.text
    assert respuesta.json()["salud"]["fecha_calculo"] == hoy


def test_two_workers_under_a_burst_stay_within_the_total(db: Backend, tmp_path: Path) -> None:
    """`smartbilling-crm serve --workers 2` with CRM_DB_MAX_CONEXIONES=4: 48 requests at
    once never see more than 4 server connections in pg_stat_activity."""
    if db.name != "postgresql":
        pytest.skip("SQLite has no server whose connections could run out")
    aplicacion = f"crm_presupuesto_{free_port()}"
    url = make_url(db.url).update_query_dict({"application_name": aplicacion})
    proceso = ServerProcess(
        url.render_as_string(hide_password=False),
        tmp_path / "server.log",
        CRM_DB_MAX_CONEXIONES="4",
        CRM_DB_POOL_TIMEOUT_S="3",
    )
    with open(proceso.log, "ab") as log:
        proceso.process = subprocess.Popen(
            [str(Path(sys.executable).parent / "smartbilling-crm"), "serve", "--workers", "2",
             "--host", "127.0.0.1", "--port", str(proceso.port)],
            env=proceso.env, stdout=log, stderr=log,
        )  # fmt: skip
    maximo = 0
    midiendo = threading.Event()
    midiendo.set()

    def vigilar() -> None:
        nonlocal maximo
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            while midiendo.is_set():
                contadas = conn.scalar(
                    text("SELECT count(*) FROM pg_stat_activity WHERE application_name = :a"),
                    {"a": aplicacion},
                )
                maximo = max(maximo, int(contadas or 0))

    try:
        proceso.wait_ready()
        vigia = threading.Thread(target=vigilar, daemon=True)
        vigia.start()
        with proceso.client() as client, ThreadPoolExecutor(48) as pool:
            estados = list(pool.map(lambda _: client.get("/api/dashboard").status_code, range(96)))
        midiendo.clear()
        vigia.join()
    finally:
        proceso.stop()
    assert set(estados) <= {200, 503}
    assert estados.count(200) > 0
    # At least one: the watcher did see the server's connections (else the bound proves nothing).
    assert 1 <= maximo <= 4, maximo
