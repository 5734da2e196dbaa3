"""Health, lifecycle and recommendations from the database.

Loads the facts of one client or of a batch with the same set-based queries, runs
the pure engines (`services.salud`, `services.recomendaciones`) and, when asked,
stores the result: the health row, the client's `estado` and `riesgo_impago`, and
its alerts for the portfolio views. Kept apart from `salud.py` so the engines
import no database code and their tests need none.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from ..config import Settings
from ..models import Actividad, Cliente, Contacto, Oportunidad, SaludCliente
from ..repositories import salud as salud_repo
from . import recomendaciones as reglas
from .salud import (
    FacturaHecho,
    OportunidadHecho,
    Salud,
    calcular_estado,
    calcular_ltv,
    calcular_salud,
    es_top_ltv,
    fechas_compra,
)

VENTANA_ACTIVIDAD = timedelta(days=30)
LOTE_RECALCULO = 1000
_COLUMNAS = frozenset(SaludCliente.__table__.columns.keys()) - {"cliente_id", "fecha_actualizacion"}
_RANGO = {"critica": 0, "alta": 1, "media": 2, "baja": 3}


@dataclass
class Hechos:
    """Everything the engines need about one client."""

    facturas: list[FacturaHecho] = field(default_factory=list)
    abiertas: list[Oportunidad] = field(default_factory=list)
    contactos: list[Contacto] = field(default_factory=list)
    tareas: list[Actividad] = field(default_factory=list)
    fechas_actividad: list[datetime] = field(default_factory=list)
    ultima_ganada: datetime | None = None


@dataclass(frozen=True)
class Evaluacion:
    """The client as of `hoy`: lifecycle state, health and recommendations."""

    estado: str
    salud: Salud
    recomendaciones: reglas.Recomendaciones
    hoy: date


def cargar_hechos(session: Session, ids: Sequence[str], now: datetime) -> dict[str, Hechos]:
    """The facts of every client in `ids`, in a fixed number of queries."""
    facturas = {
        cliente_id: [FacturaHecho(*columnas) for columnas in filas]
        for cliente_id, filas in salud_repo.facturas(session, ids).items()
    }
    abiertas = salud_repo.oportunidades_abiertas(session, ids)
    contactos = salud_repo.contactos(session, ids)
    tareas = salud_repo.tareas_pendientes(session, ids)
    fechas = salud_repo.fechas_actividad(session, ids, now - VENTANA_ACTIVIDAD, now)
    ganadas = salud_repo.ultimas_ganadas(session, ids)
    return {
        cliente_id: Hechos(
            facturas=facturas.get(cliente_id, []),
            abiertas=abiertas.get(cliente_id, []),
            contactos=contactos.get(cliente_id, []),
            tareas=tareas.get(cliente_id, []),
            fechas_actividad=fechas.get(cliente_id, []),
            ultima_ganada=ganadas.get(cliente_id),
        )
        for cliente_id in ids
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


def evaluar(
    cliente: Cliente,
    hechos: Hechos,
    umbral_vip: Decimal | None,
    settings: Settings,
    now: datetime,
    *,
    compra_nueva: bool = False,
) -> Evaluacion:
    """Run the pure engines over one client's facts (no database access)."""
    tz = settings.tz
    hoy = now.astimezone(tz).date()
    facturas = hechos.facturas
    compras = [f.fecha_emision for f in facturas if not f.anulada and f.base_imponible > 0]
    if hechos.ultima_ganada is not None:
        compras.append(hechos.ultima_ganada.astimezone(tz).date())
    en_top = es_top_ltv(cliente.ltv, umbral_vip)
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
        facturas=facturas,
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
    return Evaluacion(estado, salud, reglas.generar(contexto), hoy)


def umbral_vigente(session: Session) -> Decimal | None:
    """The VIP threshold of the last `recalcular`, so a request ranks nobody.

    A client whose LTV crosses it becomes VIP at once; who drops below the top 10%
    is settled by the next recompute. Before the first one (or while nobody had
    bought), the portfolio is ranked live.
    """
    fila = salud_repo.resumen(session)
    if fila is not None and fila.umbral_vip is not None:
        return fila.umbral_vip
    return salud_repo.umbral_vip(session)


def evaluar_cliente(
    session: Session, cliente: Cliente, settings: Settings, now: datetime
) -> Evaluacion:
    """One client as of `now`, read-only: what `GET` shows."""
    hechos = cargar_hechos(session, [cliente.id], now)[cliente.id]
    return evaluar(cliente, hechos, umbral_vigente(session), settings, now)


def _fila_salud(cliente: Cliente, evaluacion: Evaluacion, now: datetime) -> dict[str, Any]:
    fila = {
        name: getattr(evaluacion.salud, name)
        for name in _COLUMNAS
        if hasattr(evaluacion.salud, name)
    }
    fila.update(
        cliente_id=cliente.id,
        fecha_calculo=evaluacion.hoy,
        fecha_actualizacion=now,
        margen_promedio=float(cliente.margen_promedio)
        if cliente.margen_promedio is not None
        else None,
    )
    return fila


def _filas_alertas(cliente_id: str, evaluacion: Evaluacion) -> list[dict[str, Any]]:
    return [
        {
            "cliente_id": cliente_id,
            "tipo": alerta.tipo,
            "severidad": str(alerta.severidad),
            "rango": _RANGO.get(str(alerta.severidad), 9),
            "mensaje": alerta.mensaje,
            "posicion": posicion,
        }
        for posicion, alerta in enumerate(evaluacion.recomendaciones.alertas)
    ]


def _guardar(
    session: Session, clientes: Sequence[Cliente], evaluaciones: Sequence[Evaluacion], now: datetime
) -> None:
    for cliente, evaluacion in zip(clientes, evaluaciones, strict=True):
        # Loaded objects: the unit of work writes only the clients that changed.
        cliente.estado = evaluacion.estado
        cliente.riesgo_impago = evaluacion.salud.riesgo_impago_nivel
    salud_repo.guardar_salud(
        session, [_fila_salud(c, e, now) for c, e in zip(clientes, evaluaciones, strict=True)]
    )
    salud_repo.reemplazar_alertas(
        session,
        [c.id for c in clientes],
        [
            fila
            for c, e in zip(clientes, evaluaciones, strict=True)
            for fila in _filas_alertas(c.id, e)
        ],
    )


def _sincronizar_compras(cliente: Cliente, hechos: Hechos) -> None:
    """The client's LTV and purchase dates, from its ledger (the engine's own rules)."""
    facturas = hechos.facturas
    compras = fechas_compra(facturas)
    cliente.ltv = calcular_ltv(facturas)
    cliente.fecha_primera_compra = compras[0] if compras else None
    cliente.fecha_ultima_compra = compras[-1] if compras else None


def refrescar(
    session: Session,
    cliente: Cliente,
    settings: Settings,
    now: datetime,
    *,
    compra_nueva: bool = False,
) -> Evaluacion:
    """Recompute and store one client's LTV, purchase dates, health row, state, risk
    and alerts."""
    session.flush()
    hechos = cargar_hechos(session, [cliente.id], now)[cliente.id]
    _sincronizar_compras(cliente, hechos)
    session.flush()  # the VIP threshold below must see this client's LTV
    evaluacion = evaluar(
        cliente, hechos, umbral_vigente(session), settings, now, compra_nueva=compra_nueva
    )
    _guardar(session, [cliente], [evaluacion], now)
    return evaluacion


def refrescar_por_id(session: Session, cliente_id: str, settings: Settings, now: datetime) -> None:
    """Refresh after a change to the client's contacts, timeline or pipeline."""
    cliente = session.get(Cliente, cliente_id)
    if cliente is not None:
        refrescar(session, cliente, settings, now)


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

    The VIP threshold is taken once, before the run, from the stored LTVs, and kept
    (`resumen_cartera`) for the requests until the next run.
    """
    total = salud_repo.contar_clientes(session)
    umbral = salud_repo.umbral_vip(session)
    salud_repo.guardar_umbral_vip(session, umbral, now)
    hechos_vacios = Hechos()
    hecho = 0
    ultimo: str | None = None
    while True:
        ids = salud_repo.ids_de_clientes(session, ultimo, lote)
        if not ids:
            break
        clientes = salud_repo.clientes(session, ids)
        hechos = cargar_hechos(session, ids, now)
        evaluaciones = [
            evaluar(c, hechos.get(c.id, hechos_vacios), umbral, settings, now) for c in clientes
        ]
        _guardar(session, clientes, evaluaciones, now)
        session.flush()
        session.expunge_all()  # keep memory flat over 100k clients
        hecho += len(ids)
        ultimo = ids[-1]
        if progreso is not None:
            progreso(hecho, total)
    return ResultadoRecalculo(clientes=hecho, fecha_calculo=now.astimezone(settings.tz).date())
