"""`/healthz`: whether the service can do its work, and if not, which check failed.

Three checks, cheap enough for a container healthcheck every few seconds (one round
trip, two statements, rolled back):
- `connection`: the database answers (else `unreachable`, or `locked` for SQLite);
- `migrations`: it is at the revision this code expects (else `outdated`);
- `writable`: a write goes through (else `read_only`); for SQLite also that the file
  the server opened is still the one at its path (else `replaced`: the data folder was
  swapped under a running server, whose writes would go to a deleted file).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from alembic.script import ScriptDirectory
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url

from smartbilling_crm.kit.db import alembic_config, is_sqlite, normalise_url

router = APIRouter()


@dataclass(frozen=True)
class Identidad:
    """What `/healthz` compares against: the expected revision and, for SQLite, the file."""

    revision: str | None
    fichero: Path | None = None
    inodo: tuple[int, int] | None = None


def _inodo(path: Path) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_dev, st.st_ino)


def identidad(url: str) -> Identidad:
    """Taken once at start, after the migrations."""
    url = normalise_url(url)
    revision = ScriptDirectory.from_config(alembic_config(url)).get_current_head()
    database = make_url(url).database
    if is_sqlite(url) and database and database != ":memory:":
        fichero = Path(database).resolve()
        return Identidad(revision, fichero, _inodo(fichero))
    return Identidad(revision)


class EstadoServicio(BaseModel):
    """`status: ok`: every check passed."""

    status: Literal["ok", "error"]
    database: Literal["ok", "unreachable", "locked", "outdated", "read_only", "replaced"]


class FalloServicio(EstadoServicio):
    """`status: error`: the failing `check` and, in `database`, how it failed."""

    check: Literal["connection", "migrations", "writable"]


def _fallo(check: str, estado: str) -> JSONResponse:
    cuerpo = FalloServicio.model_validate({"status": "error", "database": estado, "check": check})
    return JSONResponse(cuerpo.model_dump(), status_code=503)


@router.get(
    "/healthz",
    tags=["Sistema"],
    summary="Estado del servicio",
    response_model=EstadoServicio,
    responses={
        503: {
            "model": FalloServicio,
            "description": "Alguna comprobación falla: `check` dice cuál y `database` cómo",
        }
    },
)
def estado_servicio(request: Request) -> JSONResponse:
    """`ok` si la base de datos responde, está en la última migración y admite escrituras;
    si no, 503 con `check` (la comprobación que falla: `connection`, `migrations` o
    `writable`) y `database` (`unreachable`, `locked`, `outdated`, `read_only`, `replaced`)."""
    engine: Engine = request.app.state.engine
    esperada: Identidad = request.app.state.identidad
    if esperada.fichero is not None and _inodo(esperada.fichero) != esperada.inodo:
        return _fallo("writable", "replaced")
    try:
        connection = engine.connect()
    except Exception as exc:
        return _fallo("connection", "locked" if "locked" in str(exc).lower() else "unreachable")
    with connection:
        try:
            if connection.dialect.name == "postgresql":
                connection.execute(text("SET LOCAL lock_timeout = '2s'"))
            revision = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
        except Exception as exc:
            mensaje = str(exc).lower()
            if "locked" in mensaje:
                return _fallo("connection", "locked")
            if "alembic_version" in mensaje:  # no such table: an empty database
                return _fallo("migrations", "outdated")
            return _fallo("connection", "unreachable")
        if revision != esperada.revision:
            return _fallo("migrations", "outdated")
        try:
            # A real write, rolled back: read-only files, read-only transactions by default,
            # a full disk or a revoked grant all show here.
            connection.execute(text("UPDATE alembic_version SET version_num = version_num"))
        except Exception as exc:
            mensaje = str(exc).lower()
            if "locked" in mensaje:
                return _fallo("connection", "locked")
            return _fallo("writable", "read_only")
        finally:
            connection.rollback()
    return JSONResponse({"status": "ok", "database": "ok"})
