"""The migration that gives alerts their `referencia_id` (2026-12-07-0430), down and up again
on SQLite and PostgreSQL: the alerts table keeps its counter triggers. A batch
`drop_column` rebuilt the table on SQLite and dropped them, and the dashboard's alert
counts then drifted for good."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import create_engine, text

from smartbilling_crm.kit.db import alembic_config

from .conftest import Backend, fresh_postgres_database
from .test_migraciones import _insertar_cliente

ANTES = "7c2e9a41d5b3"  # the revision before alerts named what they are about


@pytest.fixture
def url_vacia(backend: Backend, tmp_path: Path) -> Iterator[str]:
    if backend.name == "sqlite":
        yield f"sqlite:///{tmp_path / 'vacia.db'}"
        return
    yield from fresh_postgres_database()


def _disparadores(url: str, backend: Backend) -> set[str]:
    consulta = (
        "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'alertas_cliente'"
        if backend.name == "sqlite"
        else "SELECT DISTINCT trigger_name FROM information_schema.triggers "
        "WHERE event_object_table = 'alertas_cliente'"
    )
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return set(conn.execute(text(consulta)).scalars())
    finally:
        engine.dispose()


def test_down_and_up_keeps_the_alert_counters_triggers(url_vacia: str, backend: Backend) -> None:
    config = alembic_config(url_vacia)
    command.upgrade(config, "head")
    disparadores = _disparadores(url_vacia, backend)
    assert disparadores  # the counters' (cartera.contadores)
    engine = create_engine(url_vacia)
    try:
        with engine.begin() as conn:
            _insertar_cliente(conn, "c1", None)
            conn.execute(
                text(
                    "INSERT INTO alertas_cliente "
                    "(cliente_id, tipo, severidad, rango, mensaje, posicion, referencia_id) "
                    "VALUES ('c1', 'factura_vencida', 'media', 2, 'Factura 1 …', 0, 'f1')"
                )
            )
    finally:
        engine.dispose()
    command.downgrade(config, ANTES)
    assert _disparadores(url_vacia, backend) == disparadores
    command.upgrade(config, "head")
    assert _disparadores(url_vacia, backend) == disparadores
    engine = create_engine(url_vacia)
    try:
        with engine.connect() as conn:
            filas = conn.execute(text("SELECT tipo, referencia_id FROM alertas_cliente")).all()
    finally:
        engine.dispose()
    assert [tuple(f) for f in filas] == [("factura_vencida", None)]  # kept; its id went
