"""The daily recompute: the portfolio figures (VIP threshold, purchase model fitted on every
client), then every client's health, state and alerts, in batches scored in one pass.

`recalcular_todos` is what the cron runs: one process at a time (an exclusive lock), each
batch committed on its own so requests and webhooks go on meanwhile, and a run killed half
way carries on after its last committed batch when started again the same day.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Callable, Iterator, Sequence
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
from smartbilling_crm.models import Cliente
from smartbilling_crm.salud import repository as salud_repo
from smartbilling_crm.salud.motor.compras import CarteraCompras, Compra, HistorialCompras, resumir
from smartbilling_crm.salud.motor.modelo_compras import ajustar_modelo, predecir_lote
from smartbilling_crm.salud.motor.pagos import ajustar_prior
from smartbilling_crm.salud.service import (
    LOTE_RECALCULO,
    Cartera,
    Evaluacion,
    Hechos,
    cargar_hechos,
    cartera_vigente,
    evaluar,
    filas_alertas,
    filas_salud,
    guardar,
    historial,
)

Progreso = Callable[[int, int], None]
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
) -> ResultadoRecalculo:
    """Recompute every client, batch by batch, each batch its own short transaction.

    Takes the recompute's exclusive lock first (`RecalculoEnCursoError` when another run
    holds it). A run of today that did not finish is resumed after its last committed
    batch, with the portfolio fit it stored and its own "now", unless `desde_cero`.
    Each batch reads and scores its clients outside any write lock, then, in a short write
    transaction that locks the clients' rows in id order, recomputes the few that a
    request changed meanwhile and stores them all with the run's progress.
    """
    engine = factory.kw["bind"]
    try:
        with cerrojo_exclusivo(engine, RECALCULO_LOCK_KEY, "recalcular"):
            return _recalcular(factory, settings, now, lote, progreso, desde_cero, tras_lote)
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
) -> ResultadoRecalculo:
    arranque = _arrancar(factory, settings, now, desde_cero)
    cartera, now, ultimo, hecho = arranque.cartera, arranque.now, arranque.ultimo, arranque.hecho
    hoy = now.astimezone(settings.tz).date()
    with transaction(factory, read_only=True) as session:
        total = salud_repo.contar_clientes(session)
    if progreso is not None:
        progreso(hecho, total)
    while True:
        with transaction(factory, read_only=True) as session:
            ids = salud_repo.ids_de_clientes(session, ultimo, lote)
            if ids:
                antes = salud_repo.huellas(session, ids)
                clientes = salud_repo.clientes(session, ids)
                evaluaciones = evaluar_lote(session, clientes, cartera, settings, now)
        if not ids:
            break
        with transaction(factory) as session:
            salud_repo.bloquear_clientes(session, ids)
            ahora = salud_repo.huellas(session, ids)
            cambiados = [i for i in ids if ahora.get(i) != antes.get(i)]
            if cambiados:
                # Changed (or erased) since the read: score them again, under the lock.
                de_nuevo = dict(
                    zip(
                        cambiados,
                        _por_id(session, cambiados, cartera, settings, now),
                        strict=True,
                    )
                )
                pares = [
                    par
                    for c, e in zip(clientes, evaluaciones, strict=True)
                    if (par := de_nuevo.get(c.id, (c, e))) is not None
                ]
                clientes = [c for c, _ in pares]
                evaluaciones = [e for _, e in pares]
            guardar_lote(session, clientes, evaluaciones, now)
            hecho += len(ids)
            ultimo = ids[-1]
            salud_repo.avanzar_progreso(session, ultimo, hecho)
        if tras_lote is not None:
            tras_lote(ids)
        if progreso is not None:
            progreso(hecho, max(total, hecho))
    with transaction(factory) as session:
        salud_repo.avanzar_progreso(session, ultimo, hecho, completado=True)
    return ResultadoRecalculo(clientes=hecho, fecha_calculo=hoy, reanudado=arranque.reanudado)


def _por_id(
    session: Session, ids: list[str], cartera: Cartera, settings: Settings, now: datetime
) -> Iterator[tuple[Cliente, Evaluacion] | None]:
    """Each of `ids` loaded and scored again, None for those that no longer exist."""
    clientes = salud_repo.clientes(session, ids)
    por_id = dict(
        zip(
            (c.id for c in clientes),
            zip(clientes, evaluar_lote(session, clientes, cartera, settings, now), strict=True),
            strict=True,
        )
    )
    return (por_id.get(i) for i in ids)


def _arrancar(
    factory: sessionmaker[Session], settings: Settings, now: datetime, desde_cero: bool
) -> _Arranque:
    """Resume today's unfinished run, or fit the portfolio and start a new one."""
    hoy = now.astimezone(settings.tz).date()
    with transaction(factory, read_only=True) as session:
        previo = salud_repo.progreso(session)
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
        cartera = ajustar_cartera(session, hoy)
    with transaction(factory) as session:
        _guardar_cartera(session, cartera, now)
        salud_repo.empezar_progreso(session, hoy, now)
    return _Arranque(cartera=cartera, now=now, ultimo=None, hecho=0, reanudado=False)


def ajustar_cartera(session: Session, hoy: date) -> Cartera:
    """The portfolio figures: the VIP threshold from the stored LTVs, the purchase model
    fitted on every client's purchase days and the late-payment prior fitted on every
    client's paid-late counts."""
    umbral = salud_repo.umbral_vip(session)
    modelo = ajustar_modelo(CarteraCompras.desde_historiales(list(_historiales(session, hoy))), hoy)
    prior = ajustar_prior(salud_repo.conteos_pago(session, hoy))
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


def evaluar_lote(
    session: Session,
    clientes: Sequence[Cliente],
    cartera: Cartera,
    settings: Settings,
    now: datetime,
) -> list[Evaluacion]:
    """Load the facts of a batch in a few set-based statements and score it in one pass."""
    hoy = now.astimezone(settings.tz).date()
    hechos = cargar_hechos(session, [c.id for c in clientes], now)
    vacios = Hechos()
    de_cada = [hechos.get(c.id, vacios) for c in clientes]
    predicciones = predecir_lote(cartera.modelo, [historial(h, hoy) for h in de_cada])
    return [
        evaluar(c, h, cartera, settings, now, prediccion=p)
        for c, h, p in zip(clientes, de_cada, predicciones, strict=True)
    ]


def guardar_lote(
    session: Session, clientes: Sequence[Cliente], evaluaciones: Sequence[Evaluacion], now: datetime
) -> None:
    """Store a batch scored from detached rows: health rows, alerts, and the state and
    risk of the clients whose ones changed (by id, one statement)."""
    salud_repo.actualizar_clientes(
        session,
        [
            {"id": c.id, "estado": e.estado, "riesgo_impago": e.salud.riesgo_impago_nivel}
            for c, e in zip(clientes, evaluaciones, strict=True)
            if (c.estado, c.riesgo_impago) != (e.estado, e.salud.riesgo_impago_nivel)
        ],
    )
    salud_repo.guardar_salud(session, filas_salud(clientes, evaluaciones, now))
    salud_repo.reemplazar_alertas(
        session, [c.id for c in clientes], filas_alertas(clientes, evaluaciones)
    )


def recalcular_en_sesion(session: Session, settings: Settings, now: datetime) -> ResultadoRecalculo:
    """The whole recompute inside the caller's transaction (the demo portfolio, built and
    scored in one unit of work): no lock, no progress, nothing committed here."""
    hoy = now.astimezone(settings.tz).date()
    cartera = ajustar_cartera(session, hoy)
    _guardar_cartera(session, cartera, now)
    hecho = 0
    ultimo: str | None = None
    while ids := salud_repo.ids_de_clientes(session, ultimo, LOTE_RECALCULO):
        clientes = salud_repo.clientes(session, ids)
        guardar(session, clientes, evaluar_lote(session, clientes, cartera, settings, now), now)
        session.flush()
        session.expunge_all()  # keep memory flat over 100k clients
        hecho += len(ids)
        ultimo = ids[-1]
    return ResultadoRecalculo(clientes=hecho, fecha_calculo=hoy)


def _historiales(session: Session, hoy: date) -> Iterator[HistorialCompras]:
    """Every buyer's purchase summary, streamed from one aggregate over the ledger."""
    for _cliente_id, dias in itertools.groupby(
        salud_repo.compras_por_dia(session), key=lambda fila: fila[0]
    ):
        resumen = resumir((Compra(fecha, importe) for _, fecha, importe in dias), hoy)
        if resumen is not None:
            yield resumen
