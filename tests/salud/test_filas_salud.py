"""The recompute's workers send health rows as the driver's parameters
(`salud.repository.filas_salud`); stored, they are exactly the rows a write's refresh
stores (`repository.guardar_salud`), column by column, inserted or updated."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, text

from smartbilling_crm.salud import lote as salud_lote
from smartbilling_crm.salud import recalculo
from smartbilling_crm.salud import repository as salud_repo
from smartbilling_crm.salud import service as salud_service
from smartbilling_crm.salud.repository import filas_salud
from smartbilling_crm.salud.repository import recalculo as lote_repo

from ..conftest import Backend
from ..salud_helpers import HOY
from .test_recalculo_igual_al_motor import _generador


def _guardadas(db: Backend) -> list[dict[str, Any]]:
    with db.engine.connect() as conn:
        return [
            dict(fila)
            for fila in conn.execute(
                text("SELECT * FROM salud_cliente_extended ORDER BY cliente_id")
            ).mappings()
        ]


def _filas_de_60_clientes(db: Backend, seed: int) -> list[dict[str, Any]]:
    """The health rows of a generated portfolio of 60 clients, scored as a batch."""
    _generador().generar(db.url, 60, seed=seed, hoy=HOY.date())
    factory = db.app.state.session_factory
    settings = db.app.state.settings
    with factory() as session:
        cartera = recalculo.ajustar_cartera(session, HOY.astimezone(settings.tz).date())
        ids = lote_repo.ids_de_clientes(session, None, 1000)
        clientes = lote_repo.clientes_leidos(session, ids)
        evaluaciones = salud_lote.evaluar_lote(session, clientes, cartera, settings, HOY)
        filas = salud_service.filas_salud(clientes, evaluaciones, HOY)
    return filas


def test_las_filas_preparadas_guardan_lo_mismo_que_las_de_siempre(db: Backend) -> None:
    filas = _filas_de_60_clientes(db, seed=18)
    factory = db.app.state.session_factory
    guardadas: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for modo in ("de_siempre", "preparadas"):
        with db.engine.begin() as conn:
            conn.execute(text("DELETE FROM alertas_cliente"))
            conn.execute(text("DELETE FROM salud_cliente_extended"))
        for paso in ("insertadas", "actualizadas"):
            with factory() as session:
                if modo == "de_siempre":
                    salud_repo.guardar_salud(session, filas)
                else:
                    dialecto = session.get_bind().dialect
                    filas_salud.guardar(session, filas_salud.preparar(filas, dialecto))
                session.commit()
            guardadas[(modo, paso)] = _guardadas(db)
    # A row another transaction inserted between the lookup and the insert: the upsert
    # overwrites it (as `guardar_salud`'s does), one more write counted.
    with factory() as session:
        dialecto = session.get_bind().dialect
        otras = [{**f, "riesgo_perdida_score": 77} for f in filas]
        session.connection().exec_driver_sql(
            filas_salud._de(dialecto).insertar, filas_salud.preparar(otras, dialecto)
        )
        session.commit()
    guardadas[("preparadas", "en_conflicto")] = _guardadas(db)
    for paso in ("insertadas", "actualizadas"):
        assert guardadas[("preparadas", paso)] == guardadas[("de_siempre", paso)], paso
    en_conflicto = guardadas[("preparadas", "en_conflicto")]
    assert [f["version"] for f in en_conflicto] == [3] * 60
    assert [
        {**f, "version": 2, "riesgo_perdida_score": g["riesgo_perdida_score"]}
        for f, g in zip(en_conflicto, guardadas[("preparadas", "actualizadas")], strict=True)
    ] == guardadas[("preparadas", "actualizadas")]
    assert {f["riesgo_perdida_score"] for f in en_conflicto} == {77}
    insertadas = guardadas[("preparadas", "insertadas")]
    assert len(insertadas) == 60
    assert {f["version"] for f in insertadas} == {1}
    assert {f["version"] for f in guardadas[("preparadas", "actualizadas")]} == {2}
    # Every kind of value went through: JSON, amounts, dates, instants, nulls.
    assert any(f["antiguedad_deuda"] for f in insertadas)
    assert all(f["recomendaciones"] is not None for f in insertadas)
    assert any(f["ultima_interaccion"] is not None for f in insertadas)
    assert any(v is None for f in insertadas for v in f.values())
    assert any(f["fecha_proxima_factura_esperada"] is not None for f in insertadas)


def test_al_dia_siguiente_las_columnas_estables_solo_se_escriben_si_cambian(db: Backend) -> None:
    """On SQLite a stored row is updated without those of its churn score and expected date
    that are the same (`filas_salud.ESTABLES`: SQLite rewrites their index entries for any
    value it sets); on PostgreSQL the batch is one UPDATE over arrays. Stored, every row is
    what a write's refresh stores, on both."""
    filas = _filas_de_60_clientes(db, seed=19)
    factory = db.app.state.session_factory
    # The next day: a third with a new churn score, a third with a new expected date, the
    # rest with both as stored; every row with one more day without activity.
    otro_dia = [
        {**f, "dias_sin_actividad": (f["dias_sin_actividad"] or 0) + 1}
        | ({"riesgo_perdida_score": (f["riesgo_perdida_score"] + 1) % 100} if n % 3 == 0 else {})
        | ({"fecha_proxima_factura_esperada": HOY.date()} if n % 3 == 1 else {})
        for n, f in enumerate(filas)
    ]
    updates: list[str] = []

    def anotar(_c: Any, _cur: Any, sql: str, *_: Any) -> None:
        if sql.startswith("UPDATE salud_cliente_extended"):
            updates.append(sql)

    guardadas = {}
    for modo in ("de_siempre", "preparadas"):
        with db.engine.begin() as conn:
            conn.execute(text("DELETE FROM alertas_cliente"))
            conn.execute(text("DELETE FROM salud_cliente_extended"))
        for estas in (filas, otro_dia):
            with factory() as session:
                if modo == "de_siempre":
                    salud_repo.guardar_salud(session, estas)
                else:
                    motor = session.get_bind()
                    event.listen(motor, "before_cursor_execute", anotar)
                    try:
                        filas_salud.guardar(session, filas_salud.preparar(estas, motor.dialect))
                    finally:
                        event.remove(motor, "before_cursor_execute", anotar)
                session.commit()
        guardadas[modo] = _guardadas(db)
    assert guardadas["preparadas"] == guardadas["de_siempre"]
    assert {f["version"] for f in guardadas["preparadas"]} == {2}
    combinaciones = sorted(
        ("riesgo_perdida_score" in u, "fecha_proxima_factura_esperada" in u) for u in updates
    )
    if db.name == "sqlite":
        # The second day: one UPDATE a combination (the score changed; the date; neither),
        # each setting only the stable column that changed.
        assert combinaciones == [(False, False), (False, True), (True, False)]
    else:
        # PostgreSQL: the whole batch in one statement over arrays, every column set.
        assert combinaciones == [(True, True)] and "unnest(" in updates[0]


def test_a_column_that_mixes_ints_and_floats_or_decimals_is_stored(db: Backend) -> None:
    """PostgreSQL's batch UPDATE sends each column as one array, and psycopg refuses an
    array of mixed Python types ("cannot dump lists of mixed types"); an executemany row by
    row never minded an int among floats or Decimals. Stored as the usual way stores them."""
    filas = _filas_de_60_clientes(db, seed=21)
    factory = db.app.state.session_factory
    with factory() as session:  # the rows exist: the second write is the UPDATE
        filas_salud.guardar(session, filas_salud.preparar(filas, session.get_bind().dialect))
        session.commit()
    mezcladas = [
        {**f, "dias_promedio_para_pagar": 25 if n % 2 else 25.5, "ltv_lifetime_value": 7}
        if n % 3 == 0
        else f
        for n, f in enumerate(filas)
    ]
    guardadas = {}
    for modo in ("de_siempre", "preparadas"):
        with factory() as session:
            if modo == "de_siempre":
                salud_repo.guardar_salud(session, mezcladas)
            else:
                motor = session.get_bind()
                filas_salud.guardar(session, filas_salud.preparar(mezcladas, motor.dialect))
            session.commit()
        guardadas[modo] = [{k: v for k, v in f.items() if k != "version"} for f in _guardadas(db)]
    assert guardadas["preparadas"] == guardadas["de_siempre"]
    porcentajes = {f["dias_promedio_para_pagar"] for f in guardadas["preparadas"]}
    assert {25.0, 25.5} <= porcentajes
