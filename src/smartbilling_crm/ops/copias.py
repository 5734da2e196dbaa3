"""Backups: a consistent copy of the database while the server keeps running.

SQLite: the online backup API copies the database page by page under its own read
snapshot, so writers are never blocked for long and the copy is a consistent state
(unlike copying the file, which can catch a write half-done or miss the WAL).
PostgreSQL: `pg_dump` in its custom format, restored with `pg_restore`.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import URL, make_url

from smartbilling_crm.kit.db import is_sqlite, normalise_url

PAGINAS_POR_PASO = 256  # ~1 MiB per step with 4 KiB pages: writers get in between steps

Progreso = Callable[[int, int], None]


class CopiaError(Exception):
    """The backup could not be made; the message says why in one line."""


@dataclass(frozen=True)
class ResultadoCopia:
    destino: Path
    bytes: int
    metodo: str  # "sqlite-backup" | "pg_dump"


def comprobar_destino(destino: Path) -> None:
    """`CopiaError` unless `destino` is a new file in an existing folder."""
    if destino.exists():
        raise CopiaError(f"{destino} ya existe; elige otro nombre (no se sobrescriben copias)")
    if not destino.parent.is_dir():
        raise CopiaError(f"no existe la carpeta {destino.parent}")


def copiar(url: str, destino: Path, *, progreso: Progreso | None = None) -> ResultadoCopia:
    """Back `url` up into the file `destino` (which must not exist)."""
    comprobar_destino(destino)
    if is_sqlite(url):
        return _copiar_sqlite(url, destino, progreso)
    return _copiar_postgresql(url, destino)


def _ruta_sqlite(url: str) -> Path:
    database = make_url(normalise_url(url)).database
    if not database or database == ":memory:":
        raise CopiaError("una base de datos SQLite en memoria no se puede copiar")
    ruta = Path(database)
    if not ruta.is_file():
        raise CopiaError(f"no existe la base de datos {ruta}")
    return ruta


def _copiar_sqlite(url: str, destino: Path, progreso: Progreso | None) -> ResultadoCopia:
    origen_ruta = _ruta_sqlite(url)
    # Written under a temporary name and renamed at the end: a copy that exists is complete.
    temporal = destino.with_name(destino.name + ".parcial")
    temporal.unlink(missing_ok=True)

    def avance(_status: int, restantes: int, total: int) -> None:
        if progreso is not None:
            progreso(total - restantes, total)

    try:
        origen = sqlite3.connect(origen_ruta, timeout=30, isolation_level=None)
        try:
            # One read transaction around every step: the copy is that snapshot, and a write
            # committed meanwhile (WAL lets writers go on) does not restart the backup.
            origen.execute("BEGIN")
            origen.execute("SELECT count(*) FROM sqlite_master").fetchone()
            copia = sqlite3.connect(temporal)
            try:
                origen.backup(copia, pages=PAGINAS_POR_PASO, progress=avance)
                origen.execute("COMMIT")
                # One self-contained file: the copy needs no -wal or -shm beside it.
                copia.execute("PRAGMA journal_mode=DELETE")
                estado = copia.execute("PRAGMA integrity_check").fetchone()[0]
            finally:
                copia.close()
        finally:
            origen.close()
        if estado != "ok":
            raise CopiaError(f"la copia no supera la comprobación de integridad: {estado}")
        temporal.replace(destino)
    except sqlite3.Error as exc:
        temporal.unlink(missing_ok=True)
        raise CopiaError(f"SQLite: {exc}") from exc
    except BaseException:
        temporal.unlink(missing_ok=True)
        raise
    return ResultadoCopia(destino, destino.stat().st_size, "sqlite-backup")


def url_libpq(url: str) -> tuple[str, str | None]:
    """The libpq form of a SQLAlchemy URL, and its password (kept out of the command line,
    where `ps` would show it)."""
    parsed: URL = make_url(normalise_url(url))
    sin_clave = URL.create(
        "postgresql",
        username=parsed.username,
        host=parsed.host,
        port=parsed.port,
        database=parsed.database,
        query=parsed.query,
    )
    password = parsed.password
    return sin_clave.render_as_string(hide_password=False), (
        str(password) if password is not None else None
    )


def comando_pg_dump(url: str, destino: Path) -> list[str]:
    libpq, _ = url_libpq(url)
    return ["pg_dump", "--format=custom", "--no-owner", "--file", str(destino), "--dbname", libpq]


def comando_pg_restore(url: str, origen: Path) -> list[str]:
    libpq, _ = url_libpq(url)
    return ["pg_restore", "--no-owner", "--clean", "--if-exists", "--dbname", libpq, str(origen)]


def _entorno(url: str) -> dict[str, str]:
    _, password = url_libpq(url)
    env = dict(os.environ)
    if password is not None:
        env["PGPASSWORD"] = password
    return env


def _ejecutar(comando: list[str], url: str) -> None:
    if shutil.which(comando[0]) is None:
        raise CopiaError(
            f"{comando[0]} no está instalado en esta máquina; ejecútalo donde lo esté: "
            + " ".join(comando)
        )
    proceso = subprocess.run(comando, env=_entorno(url), capture_output=True, text=True)
    if proceso.returncode != 0:
        ultima = (proceso.stderr.strip().splitlines() or ["sin detalle"])[-1]
        raise CopiaError(f"{comando[0]} falló: {ultima}")


def _copiar_postgresql(url: str, destino: Path) -> ResultadoCopia:
    temporal = destino.with_name(destino.name + ".parcial")
    try:
        _ejecutar(comando_pg_dump(url, temporal), url)
        temporal.replace(destino)
    finally:
        temporal.unlink(missing_ok=True)
    return ResultadoCopia(destino, destino.stat().st_size, "pg_dump")


def restaurar_postgresql(url: str, origen: Path) -> None:
    """Restore a `pg_dump` custom-format file into the (existing) database at `url`."""
    _ejecutar(comando_pg_restore(url, origen), url)
