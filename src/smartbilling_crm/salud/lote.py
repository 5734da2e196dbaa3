"""Scoring a batch of clients for the daily recompute: its facts loaded in a few set-based
statements, the engines run over it in one pass, the rows it will write prepared before
the write transaction. Batches are scored here, or read ahead by worker processes while
the recompute stores the previous ones (`trabajadores`).
"""

from __future__ import annotations

import contextlib
import gc
import itertools
import multiprocessing
import multiprocessing.connection
import os
import signal
import threading
from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session, sessionmaker

from smartbilling_crm.config import Settings
from smartbilling_crm.kit.db import (
    create_db_engine,
    create_session_factory,
    is_sqlite,
    sqlite_file,
    transaction,
)
from smartbilling_crm.salud.motor.ajuste_compras import ajustar_bgnbd_de, ajustar_modelo
from smartbilling_crm.salud.motor.compras import ModeloCompras, cartera_desde_dias
from smartbilling_crm.salud.motor.figuras_lote import figuras_lote
from smartbilling_crm.salud.motor.libro_lote import LibroLote
from smartbilling_crm.salud.motor.modelo_compras import predecir_lote
from smartbilling_crm.salud.motor.pagos import PriorPagos, ajustar_prior
from smartbilling_crm.salud.motor.pagos_lote import comportamiento_pago_libro
from smartbilling_crm.salud.repository import ajuste as ajuste_repo
from smartbilling_crm.salud.repository import filas_salud as filas_salud_repo
from smartbilling_crm.salud.repository import recalculo as lote_repo
from smartbilling_crm.salud.service import (
    Cartera,
    ClienteEvaluable,
    Evaluacion,
    Hechos,
    cargar_hechos_lote,
    evaluar,
    filas_alertas,
    filas_salud,
)


def evaluar_lote(
    session: Session,
    clientes: Sequence[ClienteEvaluable],
    cartera: Cartera,
    settings: Settings,
    now: datetime,
) -> list[Evaluacion]:
    """Load the facts of a batch in a few set-based statements and score it in one pass."""
    hechos, libro = cargar_hechos_lote(session, [c.id for c in clientes], now)
    return evaluar_hechos(clientes, hechos, libro, cartera, settings, now)


def evaluar_hechos(
    clientes: Sequence[ClienteEvaluable],
    hechos: dict[str, Hechos],
    libro: LibroLote,
    cartera: Cartera,
    settings: Settings,
    now: datetime,
) -> list[Evaluacion]:
    """Score a batch whose facts are loaded (no database access): the ledger's figures and
    payment behaviour from `libro`, its arrays (which hold every client of `clientes`)."""
    hoy = now.astimezone(settings.tz).date()
    vacios = Hechos()
    figuras, historiales = figuras_lote(libro, hoy)
    pagos = comportamiento_pago_libro(libro, hoy, cartera.prior, settings.plazo_pago_dias)
    predicciones = predecir_lote(cartera.modelo, historiales)
    posicion = {cliente_id: i for i, cliente_id in enumerate(libro.ids)}
    evaluaciones = []
    for c in clientes:
        i = posicion[c.id]
        evaluaciones.append(
            evaluar(
                c,
                hechos.get(c.id, vacios),
                cartera,
                settings,
                now,
                prediccion=predicciones[i],
                pago=pagos[i],
                figuras=figuras[i],
            )
        )
    return evaluaciones


@dataclass(frozen=True)
class FilasLote:
    """What a scored batch writes, prepared before its write transaction (the rules that
    make the alerts run here, not while holding the lock)."""

    ids: list[str]
    # id, estado, riesgo_impago and purchase dates of those that changed (a purchase dated
    # ahead counts from its day: the recompute of that day dates the client's last one)
    clientes: list[dict[str, Any]]
    salud: list[filas_salud_repo.FilaPreparada]  # the driver's parameters already
    alertas: list[dict[str, Any]]

    def sin(self, ids: Sequence[str]) -> FilasLote:
        fuera = set(ids)
        return FilasLote(
            [i for i in self.ids if i not in fuera],
            [f for f in self.clientes if f["id"] not in fuera],
            [f for f in self.salud if filas_salud_repo.cliente_de(f) not in fuera],
            [f for f in self.alertas if f["cliente_id"] not in fuera],
        )

    def __add__(self, otras: FilasLote) -> FilasLote:
        return FilasLote(
            self.ids + otras.ids,
            self.clientes + otras.clientes,
            self.salud + otras.salud,
            self.alertas + otras.alertas,
        )


def preparar_lote(
    clientes: Sequence[ClienteEvaluable],
    evaluaciones: Sequence[Evaluacion],
    now: datetime,
    dialecto: Dialect,
) -> FilasLote:
    """The rows of a batch scored from detached client rows; its health rows as the
    driver's parameters for `dialecto` (`repository.filas_salud`)."""
    return FilasLote(
        ids=[c.id for c in clientes],
        clientes=[
            {
                "id": c.id,
                "estado": e.estado,
                "riesgo_impago": e.salud.riesgo_impago_nivel,
                "fecha_primera_compra": e.salud.fecha_primera_compra,
                "fecha_ultima_compra": e.salud.fecha_ultima_compra,
            }
            for c, e in zip(clientes, evaluaciones, strict=True)
            if (c.estado, c.riesgo_impago, c.fecha_primera_compra, c.fecha_ultima_compra)
            != (
                e.estado,
                e.salud.riesgo_impago_nivel,
                e.salud.fecha_primera_compra,
                e.salud.fecha_ultima_compra,
            )
        ],
        salud=filas_salud_repo.preparar(filas_salud(clientes, evaluaciones, now), dialecto),
        alertas=filas_alertas(clientes, evaluaciones),
    )


def guardar_lote(session: Session, filas: FilasLote) -> None:
    """Store a batch: the clients' state and risk (those that changed, by id), health rows
    and alerts, a few executemany statements."""
    lote_repo.actualizar_clientes(session, filas.clientes)
    filas_salud_repo.guardar(session, filas.salud)
    lote_repo.actualizar_alertas(session, filas.ids, filas.alertas)


Huellas = dict[str, lote_repo.Huella]
LotePuntuado = tuple[list[str], Huellas, FilasLote]


def lotes_puntuados(
    factory: sessionmaker[Session],
    settings: Settings,
    cartera: Cartera,
    now: datetime,
    ultimo: str | None,
    lote: int,
    pool: Trabajadores | None,
) -> Iterator[LotePuntuado]:
    """The batches after `ultimo`, in id order, each read and scored (with the change
    stamps it was read at): here one after the other, or `pool`'s workers a few ahead."""

    def siguiente() -> list[str]:
        nonlocal ultimo
        with transaction(factory, read_only=True) as session:
            ids = lote_repo.ids_de_clientes(session, ultimo, lote)
        if ids:
            ultimo = ids[-1]
        return ids

    if pool is None:
        while ids := siguiente():
            yield ids, *puntuar(factory, settings, ids, cartera, now)
        return
    en_curso: deque[tuple[list[str], Future[tuple[Huellas, FilasLote]]]] = deque()
    agotado = False
    while True:
        while not agotado and len(en_curso) < pool.en_vuelo:
            if ids := siguiente():
                en_curso.append((ids, pool.ejecutor.submit(_puntuar_en_proceso, ids, cartera, now)))
            else:
                agotado = True
        if not en_curso:
            return
        ids, futuro = en_curso.popleft()
        yield ids, *futuro.result()


def puntuar(
    factory: sessionmaker[Session],
    settings: Settings,
    ids: list[str],
    cartera: Cartera,
    now: datetime,
) -> tuple[Huellas, FilasLote]:
    """Read one batch, then score it outside any transaction (a worker that held its read
    open while scoring would keep SQLite from recycling its write-ahead log)."""
    with transaction(factory, read_only=True) as session:
        antes = lote_repo.huellas(session, ids)
        clientes = lote_repo.clientes_leidos(session, ids)
        hechos, libro = cargar_hechos_lote(session, ids, now)
    evaluaciones = evaluar_hechos(clientes, hechos, libro, cartera, settings, now)
    return antes, preparar_lote(clientes, evaluaciones, now, factory.kw["bind"].dialect)


# The cyclic garbage collector's thresholds for a run in a process of its own (the CLI and
# its workers): the portfolio fit, then every batch scored and stored. A batch builds about
# a million short-lived objects (facts, evaluations, rows) that reference counting frees,
# but they live long enough to be promoted, and with the default thresholds (700, 10, 10)
# the collector walked every live object in a full collection twice a batch: 3.5 of a
# 20k-client run's 19 s. A young collection after 5,000 net allocations of tracked objects
# instead of 700; a full one after 100 of the middle generation's instead of 10 (those
# come about three times a batch: a full one every 35 batches or so, so cyclic garbage
# still goes during a long run).
UMBRALES_GC = (5_000, 10, 100)


@contextlib.contextmanager
def recolector_de_lotes() -> Iterator[None]:
    """`UMBRALES_GC` for the duration of a run (its process' own are restored after)."""
    antes = gc.get_threshold()
    gc.set_threshold(*UMBRALES_GC)
    try:
        yield
    finally:
        gc.set_threshold(*antes)


NICE_TRABAJADORES = 10  # the workers' scheduling priority (lower than the service's)


@dataclass(frozen=True)
class Trabajadores:
    """Worker processes that read and score batches, and how many batches they may run ahead."""

    ejecutor: ProcessPoolExecutor
    procesos: int
    en_vuelo: int


@contextlib.contextmanager
def trabajadores(
    factory: sessionmaker[Session], settings: Settings, procesos: int
) -> Iterator[Trabajadores | None]:
    """`procesos` fresh worker processes (`_arranque_de_trabajadores`: nothing of this
    process' connections is inherited), each with its own engine on the same database;
    None for a database another process cannot open (in-memory SQLite)."""
    engine = factory.kw["bind"]
    url = engine.url.render_as_string(hide_password=False)
    if is_sqlite(url) and sqlite_file(url) is None:
        yield None
        return
    pool = ProcessPoolExecutor(
        max_workers=procesos,
        mp_context=_arranque_de_trabajadores(),
        initializer=_iniciar_proceso,
        initargs=(url, settings),
    )
    # Started now, not at the first batch: the fork server imports the engines meanwhile.
    for _ in range(procesos):
        pool.submit(_listo)
    try:
        yield Trabajadores(pool, procesos, en_vuelo=2 * procesos)
    finally:
        # A failed or interrupted run does not wait for batches nobody will store.
        pool.shutdown(wait=True, cancel_futures=True)


_PROCESO: dict[str, Any] = {}


def _arranque_de_trabajadores() -> multiprocessing.context.BaseContext:
    """How the workers start: forked from a fork server, a clean interpreter of its own
    (not a fork of this process: none of its connections, locks or threads) that imports
    this module, and with it the engines, once; each worker then starts without importing
    anything (about 1.2 s of CPU a worker spent importing, spawned). The server lives as
    long as this process and serves every later pool. Spawned where there is no fork
    server (Windows)."""
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    contexto = multiprocessing.get_context("forkserver")
    contexto.set_forkserver_preload([__name__])  # read when the server starts
    return contexto


def _iniciar_proceso(url: str, settings: Settings) -> None:
    # Ctrl-C reaches the whole process group: the parent stops the pool, not each worker.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # Scoring ahead is background work: the service's requests and the parent, which holds
    # the batch's write lock while it stores, get the cores first.
    os.nice(NICE_TRABAJADORES)
    gc.set_threshold(*UMBRALES_GC)  # a process that only scores batches
    # A parent killed outright (OOM, kill -9) never tells its workers: each watches it and
    # leaves, rather than waiting forever holding a database connection.
    padre = multiprocessing.parent_process()
    if padre is not None:
        threading.Thread(target=_salir_con, args=(padre.sentinel,), daemon=True).start()
    engine = create_db_engine(
        url,
        busy_timeout_ms=settings.sqlite_busy_timeout_ms,
        connect_timeout_s=settings.db_connect_timeout_s,
    )
    _PROCESO.update(factory=create_session_factory(engine), settings=settings)


def _salir_con(centinela: int) -> None:
    multiprocessing.connection.wait([centinela])
    os._exit(1)


def _listo() -> None:
    """The warm-up task: its worker has started and imported what scoring needs."""


def _puntuar_en_proceso(
    ids: list[str], cartera: Cartera, now: datetime
) -> tuple[Huellas, FilasLote]:
    return puntuar(_PROCESO["factory"], _PROCESO["settings"], ids, cartera, now)


def ajustar(
    session: Session, hoy: date, pool: Trabajadores | None
) -> tuple[ModeloCompras, PriorPagos]:
    """The portfolio fit: the purchase model over every client's purchase days, and the
    late-payment prior over every client's paid-late counts.

    With `pool` the fit's parts run side by side, not one after the other while the
    workers wait for the first batch:
    - the purchase days (the largest read: 3.3 of the fit's 5.8 s at 100k clients) are
      read by ranges of client ids, one per worker and the first here;
    - then the first worker free reads the paid-late counts and fits the prior (needed
      last), and another fits MBG/NBD while this process fits Gamma-Gamma.
    A worker's failure surfaces when its result is collected, after the Gamma-Gamma fit
    at the latest.
    The reads are separate transactions: a client's days all come from one of them, and
    an event that lands between two reads moves a portfolio-wide fit by nothing that
    matters. The figures are those of the fit run here (`test_recalculo_igual_al_motor`)."""
    if pool is None:
        dias = ajuste_repo.dias_de_compra(session)
        prior = ajustar_prior(ajuste_repo.conteos_pago(session, hoy))
        return ajustar_modelo(cartera_desde_dias(*dias, hoy), hoy), prior
    cortes = lote_repo.cortes_de_clientes(session, pool.procesos + 1)
    rangos = list(itertools.pairwise([None, *cortes, None]))
    partes = [pool.ejecutor.submit(_dias_en_proceso, *rango) for rango in rangos[1:]]
    prior_aparte = pool.ejecutor.submit(_prior_en_proceso, hoy)
    primera = ajuste_repo.dias_de_compra(session, *rangos[0])
    dias = ajuste_repo.unir_partes([primera, *(parte.result() for parte in partes)])
    # The parts (a copy of every purchase day, ~30 MB at 100k clients) go now, not after
    # the fits: they would add to the run's peak memory.
    del primera, partes
    cartera = cartera_desde_dias(*dias, hoy)
    del dias
    bgnbd = pool.ejecutor.submit(ajustar_bgnbd_de, cartera, hoy)
    return ajustar_modelo(cartera, hoy, bgnbd=bgnbd.result), prior_aparte.result()


def _dias_en_proceso(desde: str | None, hasta: str | None) -> ajuste_repo.DiasDeCompra:
    with transaction(_PROCESO["factory"], read_only=True) as session:
        return ajuste_repo.dias_de_compra(session, desde, hasta)


def _prior_en_proceso(hoy: date) -> PriorPagos:
    with transaction(_PROCESO["factory"], read_only=True) as session:
        conteos = ajuste_repo.conteos_pago(session, hoy)
    return ajustar_prior(conteos)
