"""`smartbilling-crm backup DEST`: a consistent copy while the server runs, that restores."""

from __future__ import annotations

import re
import shutil
import sqlite3
import threading
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, text
from typer.testing import CliRunner

from smartbilling_crm.cli import app
from smartbilling_crm.kit.db import create_db_engine
from smartbilling_crm.models import Base
from smartbilling_crm.ops import copias

from ..conftest import Backend, fresh_postgres_database
from ..test_cli import _env

runner = CliRunner()


def _contenido(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, in a stable order."""
    with engine.connect() as conn:
        return {
            t.name: sorted(
                (tuple(r) for r in conn.execute(text(f"SELECT * FROM {t.name}"))), key=repr
            )
            for t in Base.metadata.sorted_tables
        }


def _cartera(api: httpx.Client, make_cliente: Any, n: int = 5) -> None:
    for i in range(n):
        cliente = make_cliente(id=f"b{i}")
        api.post(
            f"/api/clientes/{cliente['id']}/contactos",
            json={"nombre_completo": f"Persona {i}", "rol": "Contable"},
        )
        factura = {
            "id": f"fb{i}", "numero": f"2025/{i:04d}", "cliente_id": cliente["id"],
            "fecha_emision": "2025-03-01", "base_imponible": 100 + i, "total": 121 + i,
        }  # fmt: skip
        assert api.post("/api/facturas/importar", json=[factura]).status_code == 200


def _restaurar(db: Backend, copia: Path) -> tuple[Engine, Any]:
    """An engine on the restored copy, and what to close afterwards."""
    if db.name == "sqlite":
        return create_db_engine(f"sqlite:///{copia}"), None
    bases = fresh_postgres_database()
    url = next(bases)
    copias.restaurar_postgresql(url, copia)
    return create_db_engine(url), bases


def test_a_backup_taken_while_the_server_runs_restores_every_row(
    db: Backend, api: httpx.Client, make_cliente: Any, tmp_path: Path
) -> None:
    if db.name == "postgresql" and not (shutil.which("pg_dump") and shutil.which("pg_restore")):
        pytest.skip("pg_dump/pg_restore not installed")
    _cartera(api, make_cliente)
    assert api.get("/healthz").status_code == 200  # the server is up and serving
    destino = tmp_path / "copia.backup"

    result = runner.invoke(app, ["backup", str(destino)], env=_env(db))
    assert result.exit_code == 0, result.output
    assert "Copia hecha" in result.output
    # Its size the Spanish way ("0,9 MiB"), and how it was made in words, not a token.
    assert re.search(r"\(\d+(,\d)? MiB, con (copia en caliente de SQLite|pg_dump)\)", result.output)
    if db.name == "postgresql":
        assert "pg_restore" in result.output  # how to restore it
    assert not list(tmp_path.glob("*.parcial"))

    restaurada, limpiar = _restaurar(db, destino)
    try:
        original = _contenido(db.engine)
        assert original["clientes_extended"] and original["facturas_ledger"]
        assert _contenido(restaurada) == original
    finally:
        restaurada.dispose()
        for _ in limpiar or ():  # drops the PostgreSQL database of the restore
            pass


def test_sqlite_backup_is_consistent_under_concurrent_writes(
    db: Backend,
    api: httpx.Client,
    make_cliente: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if db.name != "sqlite":
        pytest.skip("pg_dump's snapshot is PostgreSQL's own guarantee")
    # One page per step: many steps, with writes committed between them.
    monkeypatch.setattr(copias, "PAGINAS_POR_PASO", 1)
    _cartera(api, make_cliente, n=20)
    parar = threading.Event()
    escritos: list[int] = []

    def escritor() -> None:
        with httpx.Client(base_url=api.base_url, headers=api.headers, timeout=30) as client:
            i = 0
            while not parar.is_set():
                body = {"nombre_empresa": f"Concurrente {i}", "email": f"c{i}@c.es"}
                assert client.post("/api/clientes/", json=body).status_code == 201
                escritos.append(i)
                i += 1

    hilo = threading.Thread(target=escritor)
    hilo.start()
    try:
        destino = tmp_path / "copia.db"
        result = runner.invoke(app, ["backup", str(destino)], env=_env(db))
    finally:
        parar.set()
        hilo.join()
    assert result.exit_code == 0, result.output
    with sqlite3.connect(destino) as copia:
        assert copia.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert copia.execute("PRAGMA foreign_key_check").fetchall() == []
        clientes = copia.execute("SELECT count(*) FROM clientes_extended").fetchone()[0]
        salud = copia.execute("SELECT count(*) FROM salud_cliente_extended").fetchone()[0]
    assert 20 <= clientes <= 20 + len(escritos)
    assert salud == clientes  # each client with its health row: a committed state, not a torn one
    assert not Path(f"{destino}-wal").exists()  # one self-contained file


def test_backup_refuses_to_overwrite_in_one_line(db: Backend, tmp_path: Path) -> None:
    destino = tmp_path / ("ya-existe-" + "x" * 90)  # longer than a terminal line
    destino.write_text("no me borres")
    result = runner.invoke(app, ["backup", str(destino)], env=_env(db))
    assert result.exit_code == 2
    assert f"{destino} ya existe" in result.output  # one line: the path can be copied
    assert "Copiando" not in result.output  # refused before any progress bar
    assert destino.read_text() == "no me borres"
    result = runner.invoke(app, ["backup", str(tmp_path / "no" / "hay" / "carpeta")], env=_env(db))
    assert result.exit_code == 2
    assert "no existe la carpeta" in result.output
    assert "Traceback" not in result.output


def test_the_pg_dump_command_keeps_the_password_off_the_command_line() -> None:
    url = "postgresql+psycopg://crm:s3cr3t@db:5432/crm"
    comando = copias.comando_pg_dump(url, Path("x.dump"))
    assert "s3cr3t" not in " ".join(comando)
    assert "postgresql://crm@db:5432/crm" in comando
    assert copias.url_libpq(url)[1] == "s3cr3t"
