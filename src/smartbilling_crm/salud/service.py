"""Health, lifecycle and recommendations from the database.

Loads the facts of one client or of a batch with the same set-based queries, runs
the pure engines (`salud.motor`, `salud.reglas`) and stores the result: the health row
with its recommendations, the client's `estado` and `riesgo_impago`, and its alerts.

`refrescar_tocados` is the declared effect of every unit of work (wired in `main`):
the clients a service touched are refreshed once each, in batches, before the commit.
Reads never run the engines on a fresh row: they show what is stored (`salud.lectura`,
whose functions this module offers to the other features).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import cached_property
from typing import Any, Protocol, cast

from sqlalchemy.orm import Session

from smartbilling_crm.config import Settings
from smartbilling_crm.kit.contexto import Contexto
from smartbilling_crm.models import Cliente, Contacto, Oportunidad, SaludCliente
from smartbilling_crm.salud import reglas
from smartbilling_crm.salud import repository as salud_repo
from smartbilling_crm.salud.lectura import acciones_sugeridas as acciones_sugeridas
from smartbilling_crm.salud.lectura import recomendaciones as recomendaciones
from smartbilling_crm.salud.lectura import salud as salud
from smartbilling_crm.salud.lectura import salud_de as salud_de
from smartbilling_crm.salud.lectura import vigente as vigente
from smartbilling_crm.salud.motor.cadencia import calcular_ltv
from smartbilling_crm.salud.motor.compras import (
    HistorialCompras,
    ModeloCompras,
    compras_diarias,
    resumir,
)
from smartbilling_crm.salud.motor.hechos import FacturaHecho, OportunidadHecho, Salud
from smartbilling_crm.salud.motor.libro_lote import LibroLote, facturas_de_filas
from smartbilling_crm.salud.motor.metricas import (
    PRIOR_POR_DEFECTO,
    FigurasLibro,
    calcular_estado,
    calcular_salud,
    es_top_ltv,
    figuras_libro,
)
from smartbilling_crm.salud.motor.modelo_compras import (
    PrediccionCompras,
    modelo_por_defecto,
    predecir,
    predecir_lote,
)
from smartbilling_crm.salud.motor.pagos import ComportamientoPago, PriorPagos
from smartbilling_crm.salud.repository import ledger

VENTANA_ACTIVIDAD = timedelta(days=30)


class _Pendiente:
    """Marks "not computed yet" where None is a meaningful value."""


PENDIENTE = _Pendiente()
LOTE_RECALCULO = 1000
_COLUMNAS = frozenset(SaludCliente.__table__.columns.keys()) - {"cliente_id", "fecha_actualizacion"}
# The health row's columns that are `Salud` figures, once (not a `hasattr` per column and
# client); the rest (the day, the margin, the recommendations) are set in `_fila_salud`.
_DE_SALUD = tuple(sorted(_COLUMNAS & {f.name for f in dataclasses.fields(Salud)}))


class ClienteEvaluable(Protocol):
    """What the engines read of a client: a loaded `Cliente` (a write's refresh) or a
    `ClienteLeido` row (the daily recompute's batches)."""

    @property
    def id(self) -> str: ...
    @property
    def nombre_empresa(self) -> str: ...
    @property
    def estado(self) -> str: ...
    @property
    def riesgo_impago(self) -> str: ...
    @property
    def ltv(self) -> Decimal: ...
    @property
    def margen_promedio(self) -> Decimal | None: ...
    @property
    def tamano_empresa(self) -> str | None: ...
    @property
    def cif_nif(self) -> str | None: ...
    @property
    def cif_nif_valido(self) -> bool | None: ...
    @property
    def fecha_primera_compra(self) -> date | None: ...
    @property
    def fecha_ultima_compra(self) -> date | None: ...


@dataclass
class Hechos:
    """Everything the engines need about one client. In the recompute's batches
    `facturas` stays empty: the ledger is read as arrays (`cargar_hechos_lote`)."""

    facturas: list[FacturaHecho] = field(default_factory=list)
    abiertas: list[Oportunidad] = field(default_factory=list)
    contactos: list[Contacto] = field(default_factory=list)
    tareas: list[salud_repo.Tarea] = field(default_factory=list)
    fechas_actividad: list[datetime] = field(default_factory=list)
    ultima_ganada: datetime | None = None


@dataclass(frozen=True)
class Evaluacion:
    """The client as of `hoy`: lifecycle state and health; recommendations on demand."""

    estado: str
    salud: Salud
    hechos: Hechos
    contexto: reglas.ContextoCliente
    hoy: date
    margen_promedio: float | None = None  # the client's own figure, shown with its health

    @cached_property
    def recomendaciones(self) -> reglas.Recomendaciones:
        """The rules' findings, run once per evaluation (stored with the row)."""
        return reglas.generar(self.contexto)


def cargar_hechos(
    session: Session, ids: Sequence[str], now: datetime, *, ligero: bool = False
) -> dict[str, Hechos]:
    """The facts of the (distinct) `ids` in a few queries (`ligero`: rows of what
    `evaluar` reads)."""
    facturas = facturas_de_filas(ledger.filas(session, ids), ids)
    return _cargar(session, ids, now, facturas, ligero=ligero)


def cargar_hechos_lote(
    session: Session, ids: Sequence[str], now: datetime
) -> tuple[dict[str, Hechos], LibroLote]:
    """The recompute's batches: the facts as rows, and the ledger only as arrays (their
    engines read those: each `Hechos.facturas` is left empty)."""
    libro = ledger.libro_lote(session, ids)
    return _cargar(session, ids, now, [[] for _ in ids], ligero=True), libro


def _cargar(
    session: Session,
    ids: Sequence[str],
    now: datetime,
    facturas: list[list[FacturaHecho]],
    *,
    ligero: bool,
) -> dict[str, Hechos]:
    abiertas = salud_repo.oportunidades_abiertas(session, ids, ligero=ligero)
    contactos = salud_repo.contactos(session, ids, ligero=ligero)
    actividad = salud_repo.actividad(session, ids, now - VENTANA_ACTIVIDAD, now)
    return {
        cliente_id: Hechos(
            facturas=facturas[i],
            abiertas=abiertas.get(cliente_id, []),
            contactos=contactos.get(cliente_id, []),
            tareas=actividad.tareas.get(cliente_id, []),
            fechas_actividad=actividad.fechas.get(cliente_id, []),
            ultima_ganada=actividad.ganadas.get(cliente_id),
        )
        for i, cliente_id in enumerate(ids)
    }


def _oportunidad(fila: Oportunidad, settings: Settings) -> OportunidadHecho:
    cierre = fila.fecha_cierre_estimada
    return OportunidadHecho(
        id=fila.id,
        nombre_proyecto=fila.nombre_proyecto,
        estado=fila.estado,
        monto_estimado=fila.monto_estimado,
        probabilidad_cierre=fila.probabilidad_cierre,
        fecha_cierre_estimada=cierre.astimezone(settings.tz).date() if cierre else None,
    )


@dataclass(frozen=True)
class Cartera:
    """The portfolio figures a client is judged against: the VIP threshold and the fitted
    purchase model, both as of the last `recalcular` (defaults before the first one)."""

    umbral_vip: Decimal | None
    modelo: ModeloCompras
    prior: PriorPagos = PRIOR_POR_DEFECTO


def historial(hechos: Hechos, hoy: date) -> HistorialCompras | None:
    """The client's purchases (days with live invoices of positive base) as the model reads them."""
    return resumir(compras_diarias(hechos.facturas), hoy)


def evaluar(
    cliente: ClienteEvaluable,
    hechos: Hechos,
    cartera: Cartera,
    settings: Settings,
    now: datetime,
    *,
    compra_nueva: bool = False,
    prediccion: PrediccionCompras | _Pendiente | None = PENDIENTE,
    pago: ComportamientoPago | None = None,
    figuras: FigurasLibro | None = None,
) -> Evaluacion:
    """Run the pure engines over one client's facts (no database access).

    `prediccion`, `pago` and `figuras`: the purchase model's figures, the payment behaviour
    and the ledger's figures when the caller scored a whole batch at once (whose `hechos`
    then hold no invoices); computed here from `hechos.facturas` otherwise."""
    tz = settings.tz
    hoy = now.astimezone(tz).date()
    facturas = hechos.facturas
    if figuras is None:
        figuras = figuras_libro(facturas, hoy)
    compras = list(figuras.compras)
    if hechos.ultima_ganada is not None:
        compras.append(hechos.ultima_ganada.astimezone(tz).date())
    en_top = es_top_ltv(cliente.ltv, cartera.umbral_vip)
    if isinstance(prediccion, _Pendiente):
        prediccion = predecir(cartera.modelo, historial(hechos, hoy))
    estado = calcular_estado(
        estado_actual=cliente.estado,
        ultima_compra=max(compras, default=None),
        hoy=hoy,
        dias_dormido=settings.dias_dormido,
        en_top_ltv=en_top,
        compra_nueva=compra_nueva,
    )
    abiertas = [_oportunidad(o, settings) for o in hechos.abiertas]
    salud = calcular_salud(
        facturas=facturas,
        fechas_actividad=hechos.fechas_actividad,
        oportunidades_abiertas=abiertas,
        estado=estado,
        hoy=hoy,
        ahora=now,
        tz=tz,
        prediccion=prediccion,
        prior=cartera.prior,
        plazo_dias=settings.plazo_pago_dias,
        pago=pago,
        figuras=figuras,
    )
    pasadas = [f for f in hechos.fechas_actividad if f <= now]
    contexto = reglas.ContextoCliente(
        nombre_empresa=cliente.nombre_empresa,
        estado=estado,
        tamano_empresa=cliente.tamano_empresa,
        ltv=cliente.ltv,
        cif_nif=cliente.cif_nif,
        cif_nif_valido=cliente.cif_nif_valido,
        en_top_ltv=en_top,
        salud=salud,
        vencidas=figuras.vencidas,
        de_cobro=figuras.de_cobro,
        contactos=[
            reglas.ContactoHecho(
                id=c.id,
                nombre_completo=c.nombre_completo,
                rol=c.rol,
                es_contacto_principal=c.es_contacto_principal,
                es_contacto_financiero=c.es_contacto_financiero,
            )
            for c in hechos.contactos
        ],
        oportunidades_abiertas=abiertas,
        tareas_pendientes=[
            reglas.TareaHecho(id=t.id, titulo=t.titulo, fecha=t.fecha.astimezone(tz).date())
            for t in hechos.tareas
        ],
        ultima_actividad=max(pasadas).astimezone(tz).date() if pasadas else None,
        hoy=hoy,
    )
    margen = float(cliente.margen_promedio) if cliente.margen_promedio is not None else None
    return Evaluacion(estado, salud, hechos, contexto, hoy, margen)


def cartera_vigente(session: Session, hoy: date) -> Cartera:
    """The VIP threshold, purchase model and late-payment prior of the last `recalcular`,
    so a request ranks and fits nothing.

    A client whose LTV crosses the threshold becomes VIP at once; who drops below the top
    10 % is settled by the next recompute. Before the first one (or while nobody had
    bought) the portfolio is ranked live and clients are scored with the model's prior.
    """
    fila = salud_repo.resumen_vigente(session)
    umbral = fila.umbral_vip if fila is not None else None
    if umbral is None:
        session.flush()  # the live ranking counts this unit's own LTV changes
        umbral = salud_repo.umbral_vip(session)
    if fila is not None and fila.modelo_compras:
        modelo = ModeloCompras.desde_dict(fila.modelo_compras)
    else:
        modelo = modelo_por_defecto(hoy)
    prior = PRIOR_POR_DEFECTO
    if fila is not None and fila.prior_pagos:
        prior = PriorPagos(**fila.prior_pagos)
    return Cartera(umbral, modelo, prior)


def _fila_salud(cliente: ClienteEvaluable, evaluacion: Evaluacion, now: datetime) -> dict[str, Any]:
    salud_ = evaluacion.salud
    fila = {name: getattr(salud_, name) for name in _DE_SALUD}
    if evaluacion.salud.antiguedad_deuda is not None:  # JSON: exact amounts as text
        fila["antiguedad_deuda"] = {k: str(v) for k, v in evaluacion.salud.antiguedad_deuda.items()}
    recomendaciones_ = evaluacion.recomendaciones
    fila.update(
        cliente_id=cliente.id,
        fecha_calculo=evaluacion.hoy,
        fecha_actualizacion=now,
        margen_promedio=evaluacion.margen_promedio,
        # What the reads show besides the alerts (stored apart, for the portfolio views).
        recomendaciones={
            "oportunidades": [
                {"tipo": o.tipo, "mensaje": o.mensaje} for o in recomendaciones_.oportunidades
            ],
            "acciones_sugeridas": list(recomendaciones_.acciones_sugeridas),
        },
    )
    return fila


def filas_salud(
    clientes: Sequence[ClienteEvaluable], evaluaciones: Sequence[Evaluacion], now: datetime
) -> list[dict[str, Any]]:
    """The health rows of evaluated clients, as `guardar_salud` writes them (the daily
    recompute prepares them for the driver: `repository.filas_salud`)."""
    return [_fila_salud(c, e, now) for c, e in zip(clientes, evaluaciones, strict=True)]


def filas_alertas(
    clientes: Sequence[ClienteEvaluable], evaluaciones: Sequence[Evaluacion]
) -> list[dict[str, Any]]:
    """The stored alerts of evaluated clients, as `reemplazar_alertas` writes them."""
    return [
        {
            "cliente_id": c.id,
            "tipo": alerta.tipo,
            "severidad": str(alerta.severidad),
            "rango": reglas.rango(alerta.severidad),
            "mensaje": alerta.mensaje,
            "referencia_id": alerta.referencia_id,
            "posicion": posicion,
        }
        for c, e in zip(clientes, evaluaciones, strict=True)
        for posicion, alerta in enumerate(e.recomendaciones.alertas)
    ]


def guardar(
    session: Session, clientes: Sequence[Cliente], evaluaciones: Sequence[Evaluacion], now: datetime
) -> None:
    for cliente, evaluacion in zip(clientes, evaluaciones, strict=True):
        # Loaded objects: the unit of work writes only the clients that changed.
        cliente.estado = evaluacion.estado
        cliente.riesgo_impago = evaluacion.salud.riesgo_impago_nivel
        # Purchases up to today: an invoice dated later is not one until its day.
        cliente.fecha_primera_compra = evaluacion.salud.fecha_primera_compra
        cliente.fecha_ultima_compra = evaluacion.salud.fecha_ultima_compra
    salud_repo.guardar_salud(session, filas_salud(clientes, evaluaciones, now))
    salud_repo.reemplazar_alertas(
        session, [c.id for c in clientes], filas_alertas(clientes, evaluaciones)
    )


def _sincronizar_ltv(cliente: Cliente, hechos: Hechos) -> None:
    """The client's LTV from its ledger (the engine's own rule); its purchase dates are
    the evaluation's, stored with its state (`guardar`)."""
    cliente.ltv = calcular_ltv(hechos.facturas)


def refrescar_tocados(ctx: Contexto, tocados: Mapping[str, bool]) -> None:
    """The unit of work's effect: recompute and store, once each, the LTV, purchase dates,
    health row, state, risk and alerts of every touched client (`id -> compra_nueva`).

    Set-based per batch, like the daily recompute; an erased client is skipped.
    """
    session = ctx.session
    ids = sorted(tocados)
    for inicio in range(0, len(ids), LOTE_RECALCULO):
        session.flush()
        # Locked (PostgreSQL), in id order, before the health row is written: every writer
        # of a client's row takes the client first, so a write and the lazy refresh of a
        # read (`salud.lectura`) run one after the other, neither deadlocks nor stores
        # figures computed without the other's change, and the alerts are replaced once.
        lote = ids[inicio : inicio + LOTE_RECALCULO]
        # One client this unit already holds locked (the invoice hook locks its client FOR
        # UPDATE before applying anything) is not locked again: one statement fewer per event.
        propia = cast(Cliente | None, ctx.bloqueada(lote[0])) if len(lote) == 1 else None
        clientes = [propia] if propia is not None else salud_repo.bloquear_clientes(session, lote)
        if not clientes:
            continue
        # Rows of what the engines read, not entities: nothing here is edited (as `recalcular`).
        hechos = cargar_hechos(session, [c.id for c in clientes], ctx.now, ligero=True)
        for cliente in clientes:
            _sincronizar_ltv(cliente, hechos[cliente.id])
        # Their new LTV is written with their state and risk at the next flush (one UPDATE
        # of each client, not two), unless the threshold must be ranked live (flushed there).
        cartera = cartera_vigente(session, ctx.hoy)
        # One vectorised pass of the purchase model for the batch, as the recompute does.
        predicciones = predecir_lote(
            cartera.modelo, [historial(hechos[c.id], ctx.hoy) for c in clientes]
        )
        evaluaciones = [
            evaluar(
                c,
                hechos[c.id],
                cartera,
                ctx.settings,
                ctx.now,
                compra_nueva=tocados[c.id],
                prediccion=p,
            )
            for c, p in zip(clientes, predicciones, strict=True)
        ]
        guardar(session, clientes, evaluaciones, ctx.now)
