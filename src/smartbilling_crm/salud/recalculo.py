"""The daily recompute: the portfolio figures (VIP threshold, purchase model fitted on every
client), then every client's health, state and alerts, in batches scored in one pass.

`recalcular_todos` is what the cron runs: one process at a time (an exclusive lock), each
batch committed on its own so requests and webhooks go on meanwhile, and a run killed half
way carries on after its last committed batch when started again the same day.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.orm import Session, sessionmaker

from smartbilling_crm.config import Settings
from smartbilling_crm.kit.db import (
    RECALCULO_LOCK_KEY,
    OcupadoError,
    cerrojo_exclusivo,
    transaction,
)
from smartbilling_crm.kit.excepciones import ConflictError
from smartbilling_crm.salud import repository as salud_repo
from smartbilling_crm.salud.lote import (
    FilasLote,
    Huellas,
    Trabajadores,
    ajustar,
    evaluar_lote,
    guardar_lote,
    lotes_puntuados,
    preparar_lote,
    recolector_de_lotes,
    trabajadores,
)
from smartbilling_crm.salud.repository import recalculo as lote_repo
from smartbilling_crm.salud.service import (
    LOTE_RECALCULO,
    Cartera,
    cartera_vigente,
    guardar,
)

Progreso = Callable[[int, int], None]
# PostgreSQL: every batch's commit folds and deletes its pending counter rows; their dead
# versions are reclaimed this often during the run (`repository.recalculo.recoger_pendientes`).
LOTES_POR_VACUUM = 10
# Called with the ids of each batch once it is committed (tests interrupt a run with it).
TrasLote = Callable[[Sequence[str]], None]


class RecalculoEnCursoError(ConflictError):
    """Another `recalcular` holds the lock."""

    title = "Recálculo en curso"


EN_CURSO = (
    "Ya hay un recálculo de la salud en curso (otro proceso lo está haciendo); "
    "espera a que termine antes de lanzar otro."
)


@dataclass(frozen=True)
class ResultadoRecalculo:
    clientes: int
    fecha_calculo: date
    reanudado: bool = False


@dataclass(frozen=True)
class _Arranque:
    cartera: Cartera
    now: datetime
    ultimo: str | None
    hecho: int
    reanudado: bool


def recalcular_todos(
    factory: sessionmaker[Session],
    settings: Settings,
    now: datetime,
    *,
    lote: int = LOTE_RECALCULO,
    progreso: Progreso | None = None,
    desde_cero: bool = False,
    tras_lote: TrasLote | None = None,
    procesos: int = 1,
    proceso_dedicado: bool = False,
) -> ResultadoRecalculo:
    """Recompute every client, batch by batch, each batch its own short transaction.

    Takes the recompute's exclusive lock first (`RecalculoEnCursoError` when another run
    holds it). A run of today that did not finish is resumed after its last committed
    batch, with the portfolio fit it stored and its own "now", unless `desde_cero`.
    Each batch reads and scores its clients outside any write lock, then, in a short write
    transaction that locks the clients' rows in id order, recomputes the few that a
    request changed meanwhile and stores them all with the run's progress.

    `procesos` > 1 reads and scores batches in that many worker processes (one database
    connection each) while this one stores them in order; an in-memory SQLite database
    (tests) is scored here.

    `proceso_dedicado`: this process does nothing else meanwhile (the CLI), so the cyclic
    collector runs with `lote.UMBRALES_GC` for the run. Not in the server (the API's
    recompute): its requests were no faster with raised thresholds (bench/ANALYSIS.md).
    """
    engine = factory.kw["bind"]
    try:
        with cerrojo_exclusivo(engine, RECALCULO_LOCK_KEY, "recalcular"):
            return _recalcular(
                factory,
                settings,
                now,
                lote,
                progreso,
                desde_cero,
                tras_lote,
                procesos,
                proceso_dedicado,
            )
    except OcupadoError:
        raise RecalculoEnCursoError(EN_CURSO) from None


def _recalcular(
    factory: sessionmaker[Session],
    settings: Settings,
    now: datetime,
    lote: int,
    progreso: Progreso | None,
    desde_cero: bool,
    tras_lote: TrasLote | None,
    procesos: int,
    proceso_dedicado: bool,
) -> ResultadoRecalculo:
    with transaction(factory, read_only=True) as session:
        total = lote_repo.contar_clientes(session)
    with contextlib.ExitStack() as pila:
        if proceso_dedicado:
            pila.enter_context(recolector_de_lotes())
        # Started first: the workers import the engines, then read their share of the
        # portfolio fit's purchase days (`lote.ajustar`) while this process reads the
        # rest. Spawning them pays off from two batches per worker; fewer are scored here.
        pool = None
        if procesos > 1 and -(-total // lote) >= 2 * procesos:
            pool = pila.enter_context(trabajadores(factory, settings, procesos))
        arranque = _arrancar(factory, settings, now, desde_cero, pool)
        cartera, now = arranque.cartera, arranque.now
        ultimo, hecho = arranque.ultimo, arranque.hecho
        if progreso is not None:
            progreso(hecho, total)
        for lotes, (ids, antes, filas) in enumerate(
            lotes_puntuados(factory, settings, cartera, now, ultimo, lote, pool), start=1
        ):
            hecho += len(ids)
            ultimo = ids[-1]
            _guardar_puntuado(factory, settings, cartera, now, ids, antes, filas, hecho)
            if lotes % LOTES_POR_VACUUM == 0:
                lote_repo.recoger_pendientes(factory.kw["bind"])
            if lotes == LOTES_POR_VACUUM:  # the alerts written so far, planned for
                lote_repo.analizar_alertas(factory.kw["bind"])
            if tras_lote is not None:
                tras_lote(ids)
            if progreso is not None:
                progreso(hecho, max(total, hecho))
    with transaction(factory) as session:
        lote_repo.avanzar_progreso(session, ultimo, hecho, completado=True)
    lote_repo.analizar_alertas(factory.kw["bind"])  # for the service and tomorrow's run
    hoy = now.astimezone(settings.tz).date()
    return ResultadoRecalculo(clientes=hecho, fecha_calculo=hoy, reanudado=arranque.reanudado)


def _guardar_puntuado(
    factory: sessionmaker[Session],
    settings: Settings,
    cartera: Cartera,
    now: datetime,
    ids: list[str],
    antes: Huellas,
    filas: FilasLote,
    hecho: int,
) -> None:
    """Store a scored batch and the run's progress in one short write transaction that
    locks the clients' rows in id order; the clients a request changed since the batch was
    read (their change stamps differ) are scored again under the lock."""
    with transaction(factory) as session:
        salud_repo.bloquear_ids(session, ids)
        ahora = lote_repo.huellas(session, ids)
        cambiados = [i for i in ids if ahora.get(i) != antes.get(i)]
        if cambiados:
            # Changed (or erased) since the read: score them again, under the lock.
            otra_vez = lote_repo.clientes_leidos(session, cambiados)
            filas = filas.sin(cambiados) + preparar_lote(
                otra_vez,
                evaluar_lote(session, otra_vez, cartera, settings, now),
                now,
                session.get_bind().dialect,
            )
        guardar_lote(session, filas)
        lote_repo.avanzar_progreso(session, ids[-1], hecho)


def _arrancar(
    factory: sessionmaker[Session],
    settings: Settings,
    now: datetime,
    desde_cero: bool,
    pool: Trabajadores | None,
) -> _Arranque:
    """Resume today's unfinished run, or fit the portfolio and start a new one."""
    hoy = now.astimezone(settings.tz).date()
    with transaction(factory, read_only=True) as session:
        previo = lote_repo.progreso(session)
        resumen = salud_repo.resumen(session)
        if (
            not desde_cero
            and previo is not None
            and not previo.completado
            and previo.fecha_calculo == hoy
            and resumen is not None
            and resumen.fecha_calculo == previo.ajuste
        ):
            return _Arranque(
                cartera=cartera_vigente(session, hoy),
                now=previo.ajuste,
                ultimo=previo.ultimo_cliente_id,
                hecho=previo.clientes,
                reanudado=True,
            )
        cartera = ajustar_cartera(session, hoy, pool)
    with transaction(factory) as session:
        _guardar_cartera(session, cartera, now)
        lote_repo.empezar_progreso(session, hoy, now)
    return _Arranque(cartera=cartera, now=now, ultimo=None, hecho=0, reanudado=False)


def ajustar_cartera(session: Session, hoy: date, pool: Trabajadores | None = None) -> Cartera:
    """The portfolio figures: the VIP threshold from the stored LTVs, the purchase model
    fitted on every client's purchase days and the late-payment prior fitted on every
    client's paid-late counts (read with `pool`'s help when given: `lote.ajustar`)."""
    umbral = salud_repo.umbral_vip(session)
    modelo, prior = ajustar(session, hoy, pool)
    return Cartera(umbral, modelo, prior)


def _guardar_cartera(session: Session, cartera: Cartera, now: datetime) -> None:
    """Keep the figures (`resumen_cartera`) for the requests until the next run."""
    salud_repo.guardar_resumen(
        session,
        cartera.umbral_vip,
        cartera.modelo.como_dict(),
        now,
        prior=dataclasses.asdict(cartera.prior),
    )


def recalcular_en_sesion(session: Session, settings: Settings, now: datetime) -> ResultadoRecalculo:
    """The whole recompute inside the caller's transaction (the demo portfolio, built and
    scored in one unit of work): no lock, no progress, nothing committed here."""
    hoy = now.astimezone(settings.tz).date()
    cartera = ajustar_cartera(session, hoy)
    _guardar_cartera(session, cartera, now)
    hecho = 0
    ultimo: str | None = None
    while ids := lote_repo.ids_de_clientes(session, ultimo, LOTE_RECALCULO):
        clientes = lote_repo.clientes(session, ids)
        guardar(session, clientes, evaluar_lote(session, clientes, cartera, settings, now), now)
        session.flush()
        session.expunge_all()  # keep memory flat over 100k clients
        hecho += len(ids)
        ultimo = ids[-1]
    return ResultadoRecalculo(clientes=hecho, fecha_calculo=hoy)
