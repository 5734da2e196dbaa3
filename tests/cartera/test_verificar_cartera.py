"""`smartbilling-crm verificar-cartera`: the dashboard's running totals against the rows
they summarise. Triggers keep them exact on every write; what writes without them (a
PostgreSQL TRUNCATE, a partial restore, a dropped trigger) leaves the dashboard wrong, and
the command finds it and, with --reparar, corrects it while the service runs."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from smartbilling_crm.cartera import contadores
from smartbilling_crm.cli import app
from smartbilling_crm.kit.db import instantanea

from ..conftest import Backend
from ..salud_helpers import HOY, crear_cliente
from ..test_cli import _env
from .test_contadores import _cuadra, _ok, cartera_pequena

runner = CliRunner()


def _clientes_del_dashboard(api: httpx.Client) -> dict[str, int]:
    return dict(_ok(api.get("/api/dashboard"))["clientes_por_estado"])


def test_verificar_cartera_encuentra_y_corrige_lo_que_no_cuadra(
    db: Backend, api: httpx.Client
) -> None:
    db.clock.set(HOY)
    cartera_pequena(api, "v")
    bien = _clientes_del_dashboard(api)

    resultado = runner.invoke(app, ["verificar-cartera"], env=_env(db))
    assert resultado.exit_code == 0, resultado.output
    assert "Los totales cuadran" in resultado.output
    # The check is a read: it runs while a writer holds its transaction open (on SQLite,
    # the database's write lock), instead of waiting for it.
    with db.engine.begin() as escritor:
        escritor.execute(text("UPDATE clientes_extended SET notas = 'x' WHERE id = 'v1'"))
        with instantanea(db.app.state.session_factory) as session:
            assert contadores.verificar(session).diferencias == []

    # Writes the triggers did not see: the clients of one state counted twice over, and
    # the open invoices by due date gone (as a TRUNCATE would leave them).
    estado = next(iter(bien))
    with db.engine.begin() as conn:
        conn.execute(
            text(
                "UPDATE contadores_cartera SET numero = numero + 2, importe = importe + 50000 "
                "WHERE grupo = 'clientes' AND clave = :estado"
            ),
            {"estado": estado},
        )
        fechas = conn.execute(
            text("SELECT count(*) FROM cartera_por_fecha WHERE serie = 'deuda'")
        ).scalar_one()
        conn.execute(text("DELETE FROM cartera_por_fecha WHERE serie = 'deuda'"))
    assert fechas > 0
    assert _clientes_del_dashboard(api)[estado] == bien[estado] + 2  # what the owner sees

    resultado = runner.invoke(app, ["verificar-cartera"], env=_env(db))
    assert resultado.exit_code == 1, resultado.output
    assert resultado.output.startswith(f"{fechas + 1} de "), resultado.output
    assert "no cuadran" in resultado.output
    assert f"contadores_cartera clientes/{estado}: guardado {bien[estado] + 2} · " in (
        resultado.output
    )
    assert "cartera_por_fecha deuda/" in resultado.output
    assert "verificar-cartera --reparar" in resultado.output
    assert _clientes_del_dashboard(api)[estado] == bien[estado] + 2  # nothing changed

    resultado = runner.invoke(app, ["verificar-cartera", "--reparar"], env=_env(db))
    assert resultado.exit_code == 0, resultado.output
    assert f"Corregidos: {fechas + 1} totales" in resultado.output
    assert _clientes_del_dashboard(api) == bien
    _cuadra(db, api, "reparada")  # every figure, on any "today", equals the full aggregates

    resultado = runner.invoke(app, ["verificar-cartera"], env=_env(db))
    assert resultado.exit_code == 0, resultado.output
    assert "Los totales cuadran" in resultado.output


def test_en_postgresql_los_cambios_sin_plegar_cuentan_como_sumados(
    db: Backend, api: httpx.Client
) -> None:
    """With the fold's trigger disabled by hand, the triggers' deltas wait in
    `contadores_pendientes`: the check counts them (the fold adds them once it runs again),
    says so, and finds nothing to repair; repairing them too would count them twice."""
    if db.name != "postgresql":
        pytest.skip("only PostgreSQL folds the counters' deltas at commit")
    db.clock.set(HOY)
    crear_cliente(api, "p1", "Plegado 1 S.L.")
    alternar = "ALTER TABLE contadores_pendientes {} TRIGGER crm_contadores_plegar"
    with db.engine.begin() as conn:
        conn.execute(text(alternar.format("DISABLE")))
    try:
        crear_cliente(api, "p2", "Sin plegar S.L.")
        resultado = runner.invoke(app, ["verificar-cartera", "--reparar"], env=_env(db))
    finally:
        with db.engine.begin() as conn:
            conn.execute(text(alternar.format("ENABLE")))
    assert resultado.exit_code == 0, resultado.output
    assert "contadores_pendientes sin sumarse" in resultado.output
    assert "Los totales cuadran" in resultado.output
    crear_cliente(api, "p3", "Plegado 3 S.L.")  # its commit folds p2's delta too
    assert sum(_clientes_del_dashboard(api).values()) == 3
    resultado = runner.invoke(app, ["verificar-cartera"], env=_env(db))
    assert resultado.exit_code == 0, resultado.output
