"""The server's SQLite checkpoints run in a thread of their own (issue 14: at 100k clients
every 17th webhook event copied the write-ahead log into the file inside its commit, while
holding the process's write turn). Commits checkpoint only past a high backstop; the
batch commands keep SQLite's own 1,000 pages."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from smartbilling_crm.kit.db import create_db_engine, migrate
from smartbilling_crm.kit.puntos_de_control import AUTOCHECKPOINT_RESPALDO, PuntosDeControl
from smartbilling_crm.main import create_app

from .conftest import API_KEY, ServerThread, make_settings

PAGINA = 4096


def _autocheckpoint(engine: object) -> int:
    conexion = engine.raw_connection()  # type: ignore[attr-defined]
    try:
        return int(conexion.execute("PRAGMA wal_autocheckpoint").fetchone()[0])
    finally:
        conexion.close()


def test_the_servers_commits_leave_checkpoints_to_the_thread_the_commands_do_not(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'crm.db'}"
    app = create_app(make_settings(url))
    with ServerThread(app) as server:
        headers = {"Authorization": f"Bearer {API_KEY}"}
        assert httpx.get(f"{server.base_url}/api/clientes/", headers=headers).status_code == 200
        assert _autocheckpoint(app.state.engine) == AUTOCHECKPOINT_RESPALDO
    engine = create_db_engine(url)  # as `recalcular` and the other batch commands open it
    try:
        assert _autocheckpoint(engine) == 1000
    finally:
        engine.dispose()


def _escribir_en_el_log(fichero: Path, paginas: int) -> None:
    """`paginas` pages appended to the write-ahead log by a writer that never checkpoints."""
    conexion = sqlite3.connect(fichero, isolation_level=None)
    try:
        conexion.execute("PRAGMA wal_autocheckpoint=0")
        conexion.execute("CREATE TABLE IF NOT EXISTS relleno (x BLOB)")
        for _ in range(paginas // 10):
            conexion.execute("BEGIN IMMEDIATE")
            conexion.executemany(
                "INSERT INTO relleno VALUES (randomblob(?))", [(PAGINA - 100,)] * 10
            )
            conexion.execute("COMMIT")
    finally:
        conexion.close()


def _paginas_en_el_log(fichero: Path) -> int:
    wal = fichero.with_name(fichero.name + "-wal")
    return wal.stat().st_size // PAGINA if wal.exists() else 0


def _testigo(fichero: Path) -> sqlite3.Connection:
    """A connection held open (having read, so it shares the log) for the whole test: the
    writer's is then not the last one to close, which would checkpoint."""
    conexion = sqlite3.connect(fichero, isolation_level=None)
    conexion.execute("SELECT count(*) FROM sqlite_master").fetchone()
    return conexion


def _esperar(condicion: object, segundos: float = 10.0) -> bool:
    limite = time.monotonic() + segundos
    while time.monotonic() < limite:
        if condicion():  # type: ignore[operator]
            return True
        time.sleep(0.05)
    return False


@pytest.fixture
def base(tmp_path: Path) -> Iterator[tuple[Path, sqlite3.Connection]]:
    """A migrated file and a `_testigo` connection on it, held open for the whole test."""
    fichero = tmp_path / "crm.db"
    migrate(f"sqlite:///{fichero}")
    testigo = _testigo(fichero)
    try:
        yield fichero, testigo
    finally:
        testigo.close()


def test_the_thread_copies_the_log_into_the_file_and_the_log_starts_over(
    base: tuple[Path, sqlite3.Connection],
) -> None:
    fichero, testigo = base
    antes = fichero.stat().st_size
    _escribir_en_el_log(fichero, 1500)
    assert fichero.stat().st_size == antes  # all of it still in the log
    with PuntosDeControl(fichero, intervalo_s=0.02, reinicio_paginas=1000):
        # Copied into the file...
        assert _esperar(lambda: fichero.stat().st_size >= antes + 1400 * PAGINA)
        # ...and, all of it copied, the log is started over: the next writer reuses it
        # instead of growing it. (With a writer that pauses, passive copies suffice;
        # the restarts are for one that does not, the next test.)
        tamano = _paginas_en_el_log(fichero)
        time.sleep(0.5)
        _escribir_en_el_log(fichero, 500)
        assert _paginas_en_el_log(fichero) == tamano
    assert testigo.execute("SELECT count(*) FROM relleno").fetchone() == (2000,)


def test_a_log_written_to_without_pause_is_started_over_not_grown(
    base: tuple[Path, sqlite3.Connection],
) -> None:
    """Passive checkpoints alone never catch up with a writer that does not pause, and a log
    is only started over when all of it has been copied: without the restarts it grows
    without end. The thread's restarts keep it bounded."""
    fichero, _testigo_abierto = base
    escritor = sqlite3.connect(fichero, isolation_level=None)
    try:
        escritor.execute("PRAGMA wal_autocheckpoint=0")
        escritor.execute("PRAGMA busy_timeout=5000")
        escritor.execute("PRAGMA synchronous=NORMAL")  # as the server's connections
        escritor.execute("CREATE TABLE relleno (x BLOB)")
        mayor = escrito = 0
        with PuntosDeControl(fichero, intervalo_s=0.01, reinicio_paginas=300):
            limite = time.monotonic() + 1.5
            while time.monotonic() < limite:
                escritor.execute("BEGIN IMMEDIATE")
                escritor.execute("INSERT INTO relleno VALUES (randomblob(?))", (PAGINA - 100,))
                escritor.execute("COMMIT")
                escrito += 1
                mayor = max(mayor, _paginas_en_el_log(fichero))
        assert escrito > 2000, "too few writes to judge the log's growth"
        # Each commit appends about 3 pages: a log never started over would end with 3 ×
        # `escrito` of them (81,572 after 26,531 commits); restarted, it stays far below
        # (5,016 after 15,707 when written).
        assert mayor < escrito, (escrito, mayor)
    finally:
        escritor.close()


def test_without_the_thread_the_log_is_not_copied(base: tuple[Path, sqlite3.Connection]) -> None:
    """The control of the first of these tests: nothing else copies a writer's log meanwhile."""
    fichero, _testigo_abierto = base
    antes = fichero.stat().st_size
    _escribir_en_el_log(fichero, 1500)
    time.sleep(0.5)
    assert fichero.stat().st_size == antes
    assert _paginas_en_el_log(fichero) >= 1500


def test_a_missing_file_is_not_created_by_the_thread(tmp_path: Path) -> None:
    fichero = tmp_path / "no-existe.db"
    with PuntosDeControl(fichero, intervalo_s=0.01):
        time.sleep(0.1)
    assert not fichero.exists()
