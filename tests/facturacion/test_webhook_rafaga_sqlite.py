"""SQLite has one writer at a time: a burst of webhooks (the invoicing module sends them
as invoices are issued) queues in arrival order inside the process instead of polling for
the file's lock, so none waits past its turn and gets a 503 while later ones go through."""

from __future__ import annotations

import asyncio
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import anyio
import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text

from smartbilling_crm.main import create_app

from ..conftest import API_KEY, Backend, ServerThread, make_settings
from ..webhook_helpers import evento, send

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
CLIENTES = 24
EVENTOS_POR_CLIENTE = 4


@contextmanager
def _servidor(db: Backend, *, busy_timeout_ms: int) -> Iterator[tuple[ServerThread, FastAPI]]:
    """The app on a real server with this CRM_SQLITE_BUSY_TIMEOUT_MS, the test's clock."""
    app = create_app(make_settings(db.url, CRM_SQLITE_BUSY_TIMEOUT_MS=busy_timeout_ms))
    app.dependency_overrides.update(db.app.dependency_overrides)
    with ServerThread(app) as server:
        yield server, app


def test_una_rafaga_de_webhooks_entra_por_turnos_y_ninguno_se_queda_sin_el(db: Backend) -> None:
    if db.name != "sqlite":
        pytest.skip("PostgreSQL has row locks, not one writer for the whole database")
    db.clock.set(NOW)
    # A busy timeout well above one event's cost (a few ms here) and well below the
    # burst's: a writer polling for the lock could run out of it, one in the queue cannot.
    with _servidor(db, busy_timeout_ms=1500) as (server, _app):
        with httpx.Client(
            base_url=server.base_url, headers={"Authorization": f"Bearer {API_KEY}"}, timeout=60
        ) as api:
            for n in range(CLIENTES):
                alta = {"id": f"raf{n}", "nombre_empresa": f"Ráfaga {n}", "email": f"r{n}@x.es"}
                assert api.post("/api/clientes/", json=alta).status_code == 201
        barrera = threading.Barrier(CLIENTES)
        estados: list[tuple[str, int]] = []
        cerrojo = threading.Lock()

        def enviar(n: int) -> None:
            with httpx.Client(base_url=server.base_url, timeout=60) as propio:
                barrera.wait()
                for k in range(EVENTOS_POR_CLIENTE):
                    payload = evento(
                        "emitida",
                        factura_id=f"fac_raf{n}_{k}",
                        cliente_id=f"raf{n}",
                        fecha_emision="2026-03-01",
                    )
                    respuesta = send(propio, payload, now=NOW, msg_id=f"msg_raf{n}_{k}")
                    with cerrojo:
                        estados.append((respuesta.json().get("estado", ""), respuesta.status_code))

        hilos = [threading.Thread(target=enviar, args=(n,)) for n in range(CLIENTES)]
        for hilo in hilos:
            hilo.start()
        for hilo in hilos:
            hilo.join()
        assert Counter(estados) == {("procesado", 200): CLIENTES * EVENTOS_POR_CLIENTE}
        with db.engine.connect() as conn:
            por_cliente = conn.execute(
                text(
                    "SELECT cliente_id, count(*) FROM facturas_ledger "
                    "WHERE cliente_id LIKE 'raf%' GROUP BY cliente_id"
                )
            ).all()
        assert dict(por_cliente) == {f"raf{n}": EVENTOS_POR_CLIENTE for n in range(CLIENTES)}


def test_un_escritor_que_no_consigue_turno_a_tiempo_recibe_503_y_no_escribe(
    db: Backend,
) -> None:
    """A write that waits its turn longer than CRM_SQLITE_BUSY_TIMEOUT_MS (another writer of
    the process holds it) is answered 503 with Retry-After and the reason, having written
    nothing; reads go on meanwhile, and the same write goes through once the turn is free."""
    if db.name != "sqlite":
        pytest.skip("only SQLite serialises a process's writers")
    db.clock.set(NOW)
    with _servidor(db, busy_timeout_ms=500) as (server, app):
        # The writer in front holds the turn for 4 s, as a long write would, on the
        # server's own event loop.
        turno: anyio.Lock = app.state.turno_de_escritura
        bucle = server.server.servers[0].get_loop()

        async def escritor_lento() -> None:
            async with turno:
                await anyio.sleep(4)

        delante = asyncio.run_coroutine_threadsafe(escritor_lento(), bucle)
        hasta = time.monotonic() + 10
        while not turno.locked():
            assert time.monotonic() < hasta, "the writer in front never took the turn"
            time.sleep(0.01)
        alta = {"id": "sin_turno", "nombre_empresa": "Sin Turno S.L.", "email": "t@x.es"}
        with httpx.Client(
            base_url=server.base_url, headers={"Authorization": f"Bearer {API_KEY}"}, timeout=30
        ) as api:
            inicio = time.monotonic()
            respuesta = api.post("/api/clientes/", json=alta)
            tardo = time.monotonic() - inicio
            assert respuesta.status_code == 503, respuesta.text
            assert respuesta.headers["content-type"] == "application/problem+json"
            assert respuesta.headers["retry-after"] == "2"
            assert respuesta.json()["detail"].startswith("Demasiadas escrituras a la vez")
            assert 0.4 <= tardo < 3  # its turn's wait, not the writer's 4 s
            assert turno.locked()  # refused while the writer in front still writes
            assert api.get("/api/clientes/").status_code == 200  # reads never wait
            assert api.get("/api/clientes/sin_turno").status_code == 404  # nothing written
            delante.result(timeout=10)
            assert api.post("/api/clientes/", json=alta).status_code == 201
