"""The daily recompute commits batch by batch: it resumes after a kill, refuses to run
twice at once, and never stores a client's older figures over a request's newer ones."""

from __future__ import annotations

import gc
import multiprocessing
import os
import signal
from collections.abc import Iterator, Sequence
from concurrent.futures.process import BrokenProcessPool
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import event, text
from typer.testing import CliRunner

from smartbilling_crm.cli import app as cli_app
from smartbilling_crm.kit.db import RECALCULO_LOCK_KEY, cerrojo_exclusivo, create_db_engine
from smartbilling_crm.salud import lote as lote_mod
from smartbilling_crm.salud import recalculo
from smartbilling_crm.salud.repository import recalculo as lote_repo

from ..conftest import API_KEY, WEBHOOK_SECRET, Backend
from ..salud_helpers import HOY, crear_cliente, historial_regular, importar
from ..webhook_helpers import factura

runner = CliRunner()


class Corte(Exception):
    """The injected kill."""


def _cartera(api: httpx.Client, n: int) -> list[str]:
    ids = [f"cli{i:02d}" for i in range(n)]
    for i, cliente_id in enumerate(ids):
        crear_cliente(api, cliente_id, f"Empresa {i} S.L.")
        if i % 2 == 0:
            importar(api, historial_regular(cliente_id))
    return ids


def _salud(db: Backend) -> list[tuple[Any, ...]]:
    with db.engine.connect() as conn:
        # Every column but `version`, the row's write count (each run writes it once more).
        filas = [
            tuple(v for k, v in fila.items() if k != "version")
            for fila in conn.execute(
                text("SELECT * FROM salud_cliente_extended ORDER BY cliente_id")
            ).mappings()
        ]
        estados = conn.execute(
            text("SELECT id, estado, riesgo_impago FROM clientes_extended ORDER BY id")
        ).all()
        alertas = conn.execute(
            text("SELECT cliente_id, tipo, mensaje, posicion FROM alertas_cliente ORDER BY 1, 4")
        ).all()
    return [tuple(f) for f in filas] + [tuple(e) for e in estados] + [tuple(a) for a in alertas]


def _recalcular(db: Backend, **kwargs: Any) -> recalculo.ResultadoRecalculo:
    return recalculo.recalcular_todos(
        db.app.state.session_factory, db.app.state.settings, HOY, **kwargs
    )


@pytest.mark.parametrize("procesos", [1, 2], ids=["aqui", "dos_procesos"])
def test_un_recalculo_interrumpido_sigue_tras_el_ultimo_lote_y_da_lo_mismo(
    db: Backend, api: httpx.Client, procesos: int
) -> None:
    """Killed after two batches, then run again: it carries on, and (scored here or by
    worker processes) stores exactly what a clean run stores."""
    db.clock.set(HOY)
    ids = _cartera(api, 9)
    primera: list[str] = []

    def cortar_tras_dos_lotes(lote: Sequence[str]) -> None:
        primera.extend(lote)
        if len(primera) == 4:
            raise Corte

    with pytest.raises(Corte):
        _recalcular(db, lote=2, tras_lote=cortar_tras_dos_lotes, procesos=procesos)
    segunda: list[str] = []
    avances: list[tuple[int, int]] = []
    resultado = _recalcular(
        db,
        lote=2,
        tras_lote=segunda.extend,
        progreso=lambda h, t: avances.append((h, t)),
        procesos=procesos,
    )

    assert resultado.reanudado
    assert resultado.clientes == 9
    assert primera == ids[:4]
    assert segunda == ids[4:]  # each client once: nothing redone, nothing skipped
    assert avances[0] == (4, 9) and avances[-1] == (9, 9)
    reanudada = _salud(db)

    limpia = _recalcular(db, lote=2, desde_cero=True)
    assert not limpia.reanudado
    assert _salud(db) == reanudada


@pytest.fixture
def umbrales_propios() -> Iterator[tuple[int, int, int]]:
    """The process' collector thresholds set to values of its own, given back afterwards."""
    antes = gc.get_threshold()
    propios = (900, 11, 12)
    gc.set_threshold(*propios)
    try:
        yield propios
    finally:
        gc.set_threshold(*antes)


def test_en_un_proceso_dedicado_el_recalculo_espacia_los_barridos_del_recolector(
    db: Backend, api: httpx.Client, umbrales_propios: tuple[int, int, int]
) -> None:
    """In a process that does nothing else (the CLI), batches are scored and stored with
    `UMBRALES_GC` (the collector's full sweeps were a fifth of the run); the process' own
    thresholds come back after the run, and after a run that failed."""
    db.clock.set(HOY)
    _cartera(api, 3)
    durante: list[tuple[int, ...]] = []
    _recalcular(
        db, lote=2, proceso_dedicado=True, tras_lote=lambda _: durante.append(gc.get_threshold())
    )
    assert durante == [lote_mod.UMBRALES_GC] * 2
    assert gc.get_threshold() == umbrales_propios

    def fallar(_: Sequence[str]) -> None:
        raise Corte

    with pytest.raises(Corte):
        _recalcular(db, lote=2, desde_cero=True, proceso_dedicado=True, tras_lote=fallar)
    assert gc.get_threshold() == umbrales_propios


def test_en_el_servidor_el_recalculo_no_toca_el_recolector(
    db: Backend,
    api: httpx.Client,
    umbrales_propios: tuple[int, int, int],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Run from the API (in the server's process), the requests served meanwhile keep the
    process' own thresholds."""
    db.clock.set(HOY)
    _cartera(api, 3)
    durante: list[tuple[int, ...]] = []
    original = recalculo.recalcular_todos

    def con_lotes_espiados(*args: Any, **kwargs: Any) -> recalculo.ResultadoRecalculo:
        kwargs.update(lote=2, tras_lote=lambda _: durante.append(gc.get_threshold()))
        return original(*args, **kwargs)

    monkeypatch.setattr(recalculo, "recalcular_todos", con_lotes_espiados)
    response = api.post("/api/salud/recalcular")
    assert response.status_code == 200, response.text
    assert response.json()["clientes"] == 3
    assert durante == [umbrales_propios] * 2


def test_la_cli_recalcula_como_proceso_dedicado(
    db: Backend, api: httpx.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`smartbilling-crm recalcular` is a process of its own: it asks for the thresholds."""
    db.clock.set(HOY)
    _cartera(api, 2)
    pedido: list[Any] = []
    original = recalculo.recalcular_todos

    def espiar(*args: Any, **kwargs: Any) -> recalculo.ResultadoRecalculo:
        pedido.append(kwargs.get("proceso_dedicado"))
        return original(*args, **kwargs)

    monkeypatch.setattr(recalculo, "recalcular_todos", espiar)
    env = {
        "DATABASE_URL": db.url,
        "CRM_ENV": "development",
        "CRM_API_KEYS": API_KEY,
        "CRM_WEBHOOK_SECRETS": WEBHOOK_SECRET,
    }
    result = runner.invoke(cli_app, ["recalcular", "--procesos", "1"], env=env)
    assert result.exit_code == 0, result.output
    assert "2 clientes recalculados" in result.output
    assert pedido == [True]


def test_varios_procesos_guardan_lo_mismo_que_uno(
    db: Backend, api: httpx.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Batches read and scored by two worker processes, stored here in id order: the
    same rows, states and alerts as scoring every batch in this process."""
    db.clock.set(HOY)
    ids = _cartera(api, 9)
    _recalcular(db, lote=2, desde_cero=True, procesos=1)
    en_uno = _salud(db)
    with db.engine.begin() as conn:  # nothing left of the first run's rows to compare
        conn.execute(text("DELETE FROM alertas_cliente"))
        conn.execute(text("DELETE FROM salud_cliente_extended"))
        conn.execute(text("UPDATE clientes_extended SET riesgo_impago = 'critico'"))
    orden: list[str] = []
    trabajando: list[int] = []
    puntuados_aqui: list[str] = []
    preparar = recalculo.preparar_lote

    def espiar(clientes: Sequence[Any], *args: Any) -> Any:
        puntuados_aqui.extend(c.id for c in clientes)
        return preparar(clientes, *args)

    monkeypatch.setattr(recalculo, "preparar_lote", espiar)

    def tras_lote(lote: Sequence[str]) -> None:
        orden.extend(lote)
        trabajando.append(len(multiprocessing.active_children()))

    resultado = _recalcular(db, lote=2, desde_cero=True, procesos=2, tras_lote=tras_lote)
    assert resultado.clientes == 9
    assert orden == ids
    assert trabajando[0] >= 1  # the batches were scored by worker processes
    assert puntuados_aqui == []  # and none again here: nobody changed a client meanwhile
    assert _salud(db) == en_uno
    assert len(en_uno) > 2 * 9  # health rows, states and some alerts were compared


def test_si_muere_un_proceso_de_calculo_lo_confirmado_queda_y_se_reanuda(
    db: Backend, api: httpx.Client
) -> None:
    """Worker processes killed (out of memory, an operator's kill -9) end the run with
    BrokenProcessPool; the batches already stored stay, and the next run carries on
    after them to the same figures as a clean run."""
    db.clock.set(HOY)
    ids = _cartera(api, 9)
    primera: list[str] = []

    def matar_los_trabajadores(lote: Sequence[str]) -> None:
        primera.extend(lote)
        if len(primera) == 1:
            # Both of them: a survivor would go on scoring what it was sent until the
            # pool notices the death, a delay no test can bound on a loaded machine.
            for proceso in multiprocessing.active_children():
                assert proceso.pid is not None
                os.kill(proceso.pid, signal.SIGKILL)

    # One client a batch, two workers, four batches in flight: the first was stored,
    # and at most the three scored before the kill can still be.
    with pytest.raises(BrokenProcessPool):
        _recalcular(db, lote=1, tras_lote=matar_los_trabajadores, procesos=2)
    assert len(primera) <= 4  # the pool stopped at once, not after scoring everything
    segunda: list[str] = []
    resultado = _recalcular(db, lote=1, tras_lote=segunda.extend, procesos=2)
    assert resultado.reanudado
    assert primera + segunda == ids  # nothing stored twice, nothing skipped
    reanudada = _salud(db)
    _recalcular(db, lote=2, desde_cero=True, procesos=1)
    assert _salud(db) == reanudada


def test_un_recalculo_terminado_no_se_reanuda(db: Backend, api: httpx.Client) -> None:
    db.clock.set(HOY)
    _cartera(api, 3)
    assert not _recalcular(db).reanudado
    vistos: list[str] = []
    resultado = _recalcular(db, lote=2, tras_lote=vistos.extend)
    assert not resultado.reanudado
    assert len(vistos) == resultado.clientes == 3


@pytest.mark.parametrize("procesos", [1, 2], ids=["aqui", "dos_procesos"])
def test_un_cambio_durante_el_lote_no_queda_pisado(
    db: Backend, api: httpx.Client, monkeypatch: pytest.MonkeyPatch, procesos: int
) -> None:
    """A webhook lands between the batch's read and its write (here, or while worker
    processes score the batches ahead): the batch scores that client again under the lock
    instead of storing what it read before."""
    db.clock.set(HOY)
    _cartera(api, 8)
    original = recalculo.salud_repo.bloquear_ids
    llegadas: list[str] = []

    def webhook_entre_lectura_y_escritura(session: Any, ids: Sequence[str]) -> None:
        if not llegadas:
            llegadas.append(ids[1])
            db.clock.set(HOY + timedelta(minutes=1))
            importar(
                api,
                [
                    factura(
                        "fac_nueva",
                        cliente_id=ids[1],
                        fecha_emision="2026-01-19",
                        base=90000,
                        total=108900,
                    )
                ],
            )
        original(session, ids)

    monkeypatch.setattr(recalculo.salud_repo, "bloquear_ids", webhook_entre_lectura_y_escritura)
    _recalcular(db, lote=2, procesos=procesos)
    monkeypatch.undo()
    assert llegadas == ["cli01"]

    # The stored row is what the engine makes of the client with its new invoice (the
    # batch had read it without), and the state the webhook set stays.
    db.clock.set(HOY)
    vivo = api.get("/api/clientes/cli01/salud").json()
    with db.engine.connect() as conn:
        guardado = conn.execute(
            text(
                "SELECT s.ltv_lifetime_value, s.importe_pendiente, s.riesgo_perdida_score, "
                "c.estado FROM salud_cliente_extended s JOIN clientes_extended c "
                "ON c.id = s.cliente_id WHERE c.id = 'cli01'"
            )
        ).one()
    assert float(guardado[0]) == float(vivo["ltv_lifetime_value"]) == 90000
    assert float(guardado[1]) == float(vivo["importe_pendiente"]) == 108900
    assert guardado[2] == vivo["riesgo_perdida_score"]
    assert guardado[3] == "vip"


def test_dos_recalculos_a_la_vez_el_segundo_se_niega(db: Backend, api: httpx.Client) -> None:
    db.clock.set(HOY)
    _cartera(api, 2)
    with cerrojo_exclusivo(db.app.state.engine, RECALCULO_LOCK_KEY, "recalcular"):
        response = api.post("/api/salud/recalcular")
        assert response.status_code == 409
        assert response.headers["content-type"].startswith("application/problem+json")
        assert "recálculo de la salud en curso" in response.json()["detail"]

        env = {
            "DATABASE_URL": db.url,
            "CRM_ENV": "development",
            "CRM_API_KEYS": API_KEY,
            "CRM_WEBHOOK_SECRETS": WEBHOOK_SECRET,
        }
        result = runner.invoke(cli_app, ["recalcular"], env=env)
        assert result.exit_code == 2, result.output
        assert "recálculo de la salud en curso" in result.output
    assert api.post("/api/salud/recalcular").status_code == 200


def test_en_postgresql_el_recalculo_recoge_las_filas_pendientes_de_los_contadores(
    db: Backend, api: httpx.Client
) -> None:
    """Each batch's commit folds and deletes its pending counter rows; the run VACUUMs
    them every LOTES_POR_VACUUM batches, so its folds do not scan an ever longer trail of
    dead rows when autovacuum is off or behind (908 s for 100k clients without it)."""
    if db.name != "postgresql":
        pytest.skip("SQLite deletes in place; PostgreSQL's dead rows need a VACUUM")
    db.clock.set(HOY)
    _cartera(api, 2 * recalculo.LOTES_POR_VACUUM + 1)
    db.statements.clear()
    _recalcular(db, lote=1, desde_cero=True, procesos=1)
    vacuums = [s for s in db.statements if s.strip().upper().startswith("VACUUM")]
    assert vacuums == ["VACUUM contadores_pendientes"] * 2
    with db.engine.connect() as conn:
        assert conn.scalar(text("SELECT count(*) FROM contadores_pendientes")) == 0


def test_en_postgresql_el_recalculo_analiza_la_tabla_de_alertas(
    db: Backend, api: httpx.Client
) -> None:
    """A run ANALYZEs the alerts table after its first LOTES_POR_VACUUM batches (a first run
    over a portfolio loaded in bulk: the planner took the table for empty and scanned all of
    it for each batch) and once more at the end, for the service."""
    if db.name != "postgresql":
        pytest.skip("SQLite keeps no planner statistics of this kind")
    db.clock.set(HOY)
    _cartera(api, 2 * recalculo.LOTES_POR_VACUUM + 1)
    with db.engine.connect() as conn:
        inicio = conn.scalar(text("SELECT clock_timestamp()"))
    db.statements.clear()
    _recalcular(db, lote=1, desde_cero=True, procesos=1)
    mantenimiento = [s.split()[0] for s in db.statements if s.split()[0] in ("VACUUM", "ANALYZE")]
    assert mantenimiento == ["VACUUM", "ANALYZE", "VACUUM", "ANALYZE"]
    with db.engine.connect() as conn:
        analizadas = conn.execute(
            text(
                "SELECT relname FROM pg_stat_user_tables WHERE last_analyze >= :inicio "
                "ORDER BY relname"
            ),
            {"inicio": inicio},
        ).scalars()
        assert list(analizadas) == ["alertas_cliente"]


def test_en_postgresql_un_mantenimiento_que_falla_no_tumba_el_recalculo(
    db: Backend, caplog: pytest.LogCaptureFixture
) -> None:
    """VACUUM and ANALYZE are best effort: every batch is committed whatever they do, so a
    failure (here a lock wait past the statement timeout) is a warning, not an error that
    would report a finished run as failed."""
    if db.name != "postgresql":
        pytest.skip("SQLite runs no maintenance statements")
    with db.engine.connect() as bloqueo:
        bloqueo.execute(text("LOCK TABLE alertas_cliente IN EXCLUSIVE MODE"))
        engine = create_db_engine(db.url, statement_timeout_s=0.2)
        try:
            lote_repo.analizar_alertas(engine)  # waits for the lock, gives up, carries on
        finally:
            engine.dispose()
        bloqueo.rollback()
    assert "ANALYZE alertas_cliente no se pudo ejecutar" in caplog.text


def _alertas(db: Backend) -> list[tuple[Any, ...]]:
    with db.engine.connect() as conn:
        return [
            tuple(f)
            for f in conn.execute(
                text(
                    "SELECT id, cliente_id, posicion, tipo, severidad, rango, mensaje "
                    "FROM alertas_cliente ORDER BY cliente_id, posicion, id"
                )
            )
        ]


def test_los_dias_siguientes_el_recalculo_reescribe_solo_las_alertas_que_cambian(
    db: Backend, api: httpx.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A later day's recompute leaves exactly the alerts a recompute from none would (and
    counters to match), updating in place those whose text or severity moved with the day
    (their ids kept; a new text alone by a statement that sets only the text) and removing
    what no rule gives any more (in statements of a bounded number of ids: one here, so the
    two rows below take two)."""
    monkeypatch.setattr(lote_repo, "_IDS_POR_SENTENCIA", 1)
    db.clock.set(HOY)
    _cartera(api, 6)
    crear_cliente(api, "reciente", "Reciente S.L.")
    importar(  # 10 days overdue today (media), 16 in six days (alta)
        api, [factura("rec_1", cliente_id="reciente", fecha_emision="2025-12-11")]
    )
    _recalcular(db, lote=3)
    antes = {(a[1], a[2]): a for a in _alertas(db)}
    assert antes[("reciente", 0)][4] == "media"
    with db.engine.begin() as conn:  # rows no rule gives: a stale one, a duplicate position
        for posicion in (9, 0):
            conn.execute(
                text(
                    "INSERT INTO alertas_cliente (cliente_id, tipo, severidad, rango, mensaje, "
                    "posicion) VALUES ('cli00', 'factura_vencida', 'baja', 3, 'vieja', :p)"
                ),
                {"p": posicion},
            )

    despues_de = HOY + timedelta(days=6)
    actualizadas: dict[str, list[int]] = {"todo": [], "texto": []}

    def anotar(_c: Any, _cur: Any, sql: str, parametros: Any, _ctx: Any, muchas: bool) -> None:
        if sql.startswith("UPDATE alertas_cliente AS a SET mensaje = v.mensaje FROM unnest("):
            actualizadas["texto"] += parametros[1]  # PostgreSQL: (texts, ids) as two arrays
        elif sql.startswith("UPDATE alertas_cliente SET"):
            clase = "texto" if sql.split()[3].startswith("mensaje=") else "todo"
            for p in parametros if muchas else [parametros]:
                actualizadas[clase].append(p["alerta_id"] if isinstance(p, dict) else p[-1])

    event.listen(db.app.state.engine, "before_cursor_execute", anotar)
    try:
        recalculo.recalcular_todos(
            db.app.state.session_factory, db.app.state.settings, despues_de, lote=3
        )
    finally:
        event.remove(db.app.state.engine, "before_cursor_execute", anotar)
    despues = _alertas(db)
    # A new day count alone sets the text alone (the table's indexes are left as they
    # were); a new severity, type or rank sets them all.
    previas = {a[0]: a for a in antes.values()}
    for alerta in despues:
        if alerta[0] in previas and alerta[3:] != previas[alerta[0]][3:]:
            clase = "texto" if alerta[3:6] == previas[alerta[0]][3:6] else "todo"
            assert actualizadas[clase].count(alerta[0]) == 1, (clase, alerta)
    assert len(actualizadas["texto"]) >= 4 and len(actualizadas["todo"]) >= 1
    assert len(actualizadas["texto"]) + len(actualizadas["todo"]) == sum(
        1 for a in despues if a[0] in previas and a[3:] != previas[a[0]][3:]
    )
    with db.engine.connect() as conn:
        por_tipo = dict(
            conn.execute(
                text(
                    "SELECT clave, numero FROM contadores_cartera "
                    "WHERE grupo = 'alertas' AND numero <> 0"
                )
            ).all()
        )
    contadas: dict[str, int] = {}
    for a in despues:
        contadas[f"{a[4]}|{a[3]}"] = contadas.get(f"{a[4]}|{a[3]}", 0) + 1
    assert por_tipo == contadas  # the counters' triggers saw every update
    with db.engine.begin() as conn:
        conn.execute(text("DELETE FROM alertas_cliente"))
    recalculo.recalcular_todos(
        db.app.state.session_factory, db.app.state.settings, despues_de, lote=3, desde_cero=True
    )
    assert [a[1:] for a in despues] == [a[1:] for a in _alertas(db)]
    assert "vieja" not in {a[6] for a in despues}
    por_posicion = {(a[1], a[2]): a for a in despues}
    assert por_posicion[("reciente", 0)][4] == "alta"  # severity moved: same row
    assert por_posicion[("reciente", 0)][0] == antes[("reciente", 0)][0]
    movidas = [k for k in antes if k in por_posicion and antes[k][6] != por_posicion[k][6]]
    assert len(movidas) >= 4  # the day counts of every overdue invoice changed ...
    assert all(por_posicion[k][0] == antes[k][0] for k in movidas)  # ... in place
