"""What the health engine reads of the timelines (`repository.actividad`) is served by the
timeline's index: pending tasks filtered in it, the human interactions' dates read from it
alone (migration 2026-12-06-2130). A plan, checked on SQLite, whose planner follows the
schema; PostgreSQL's weighs the index by its statistics (its plan at 100k clients is in
bench/ANALYSIS.md)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import event
from sqlalchemy.orm import Session

from smartbilling_crm.salud import repository as salud_repo
from tests.conftest import Backend

INDICE = "ix_actividades_extended_cliente_id_fecha_tipo_completada"


def test_the_activity_read_is_served_by_the_timeline_index(
    db: Backend, api: httpx.Client, make_cliente: Any
) -> None:
    if db.name != "sqlite":
        pytest.skip("PostgreSQL's planner weighs the index by its statistics")
    ids = [make_cliente()["id"] for _ in range(2)]
    for cliente_id in ids:
        for tipo in ("llamada", "tarea", "email"):
            api.post(f"/api/clientes/{cliente_id}/actividades", json={"tipo": tipo, "titulo": "X"})
    sentencias: list[tuple[str, Any]] = []

    def anotar(_c: Any, _cur: Any, sql: str, params: Any, *_: Any) -> None:
        sentencias.append((sql, params))

    ahora = datetime.now(UTC)
    event.listen(db.engine, "before_cursor_execute", anotar)
    try:
        with Session(db.engine) as session:
            leida = salud_repo.actividad(session, ids, ahora - timedelta(days=30), ahora)
    finally:
        event.remove(db.engine, "before_cursor_execute", anotar)
    assert {len(leida.tareas[i]) for i in ids} == {1}  # it read what it should
    ((sql, params),) = [(q, p) for q, p in sentencias if "UNION ALL" in q]
    with db.engine.connect() as conn:
        plan = [str(f[-1]) for f in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql, params)]
    actividades = [p for p in plan if "actividades_extended" in p]
    # The pending tasks, the interactions of the window, the newest interaction.
    assert len(actividades) == 3, plan
    assert all(INDICE in p for p in actividades), plan
    assert sum(f"COVERING INDEX {INDICE}" in p for p in actividades) == 2, plan
