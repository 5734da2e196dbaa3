"""The daily recompute: the portfolio figures (VIP threshold, purchase model fitted on every
client), then every client's health, state and alerts, in batches scored in one pass."""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.orm import Session

from smartbilling_crm.config import Settings
from smartbilling_crm.salud import repository as salud_repo
from smartbilling_crm.salud.motor.compras import CarteraCompras, Compra, HistorialCompras, resumir
from smartbilling_crm.salud.motor.modelo_compras import ajustar_modelo, predecir_lote
from smartbilling_crm.salud.motor.pagos import ajustar_prior
from smartbilling_crm.salud.service import (
    LOTE_RECALCULO,
    Cartera,
    Hechos,
    cargar_hechos,
    evaluar,
    guardar,
    historial,
)


@dataclass(frozen=True)
class ResultadoRecalculo:
    clientes: int
    fecha_calculo: date


def recalcular_todos(
    session: Session,
    settings: Settings,
    now: datetime,
    *,
    lote: int = LOTE_RECALCULO,
    progreso: Callable[[int, int], None] | None = None,
) -> ResultadoRecalculo:
    """Recompute every client in batches: a handful of set-based statements per batch.

    Portfolio figures first: the VIP threshold from the stored LTVs, the purchase model
    fitted on every client's purchase days and the late-payment prior fitted on every
    client's paid-late counts; all are kept (`resumen_cartera`) for the
    requests until the next run. Then each batch is scored in one vectorised pass.
    """
    hoy = now.astimezone(settings.tz).date()
    total = salud_repo.contar_clientes(session)
    umbral = salud_repo.umbral_vip(session)
    modelo = ajustar_modelo(CarteraCompras.desde_historiales(list(_historiales(session, hoy))), hoy)
    prior = ajustar_prior(salud_repo.conteos_pago(session, hoy))
    salud_repo.guardar_resumen(
        session, umbral, modelo.como_dict(), now, prior=dataclasses.asdict(prior)
    )
    cartera = Cartera(umbral, modelo, prior)
    hechos_vacios = Hechos()
    hecho = 0
    ultimo: str | None = None
    while True:
        ids = salud_repo.ids_de_clientes(session, ultimo, lote)
        if not ids:
            break
        clientes = salud_repo.clientes(session, ids)
        hechos = cargar_hechos(session, ids, now)
        de_cada = [hechos.get(c.id, hechos_vacios) for c in clientes]
        predicciones = predecir_lote(modelo, [historial(h, hoy) for h in de_cada])
        evaluaciones = [
            evaluar(c, h, cartera, settings, now, prediccion=p)
            for c, h, p in zip(clientes, de_cada, predicciones, strict=True)
        ]
        guardar(session, clientes, evaluaciones, now)
        session.flush()
        session.expunge_all()  # keep memory flat over 100k clients
        hecho += len(ids)
        ultimo = ids[-1]
        if progreso is not None:
            progreso(hecho, total)
    return ResultadoRecalculo(clientes=hecho, fecha_calculo=hoy)


def _historiales(session: Session, hoy: date) -> Iterator[HistorialCompras]:
    """Every buyer's purchase summary, streamed from one aggregate over the ledger."""
    for _cliente_id, dias in itertools.groupby(
        salud_repo.compras_por_dia(session), key=lambda fila: fila[0]
    ):
        resumen = resumir((Compra(fecha, importe) for _, fecha, importe in dias), hoy)
        if resumen is not None:
            yield resumen
