"""The portfolio's figures: alerts, dashboard and pipeline.

Requests read the running totals the database triggers keep (`models.contador`): a few
rows whatever the size of the portfolio. The aggregates over every row they replace stay
here (`clientes_por_estado` ... `alertas_por_severidad`, `antiguedad_deuda`): they are the
definition the totals must equal, checked by the tests.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import case, func, select, union_all
from sqlalchemy.orm import Session

from smartbilling_crm.dominio import EstadoCliente, Severidad
from smartbilling_crm.models import (
    AlertaCliente,
    CarteraPorFecha,
    Cliente,
    ContadorCartera,
    Factura,
    Oportunidad,
    SaludCliente,
)

ESTADOS_CERRADOS = ("ganada", "perdida")
CENTIMO = Decimal("0.01")


def dinero(value: Any) -> Decimal:
    """An SQL value as Decimal to the cent, half a cent up as everywhere else."""
    return Decimal(str(value or 0)).quantize(CENTIMO, rounding=ROUND_HALF_UP)


def suma_exacta(columna: Any) -> Any:
    """Σ of a money column in whole cents: SQLite sums NUMERIC as floats, which drift on
    large portfolios; integers add exactly on both databases."""
    return func.sum(func.round(columna * 100))


def centimos(value: Any) -> Decimal:
    """The result of `suma_exacta` back in euros."""
    return dinero(Decimal(str(value or 0)) / 100)


def alertas(
    session: Session, *, severidad: Severidad | None, tipo: str | None, skip: int, limit: int
) -> tuple[Sequence[Any], int]:
    """A page of stored alerts, most severe first, with the client's name."""
    conditions = []
    if severidad:
        conditions.append(AlertaCliente.severidad == severidad)
    if tipo:
        conditions.append(AlertaCliente.tipo == tipo)
    total = contar_alertas(session, severidad=severidad, tipo=tipo)
    rows = session.execute(
        select(
            AlertaCliente.cliente_id,
            Cliente.nombre_empresa,
            AlertaCliente.tipo,
            AlertaCliente.severidad,
            AlertaCliente.mensaje,
            AlertaCliente.referencia_id,
        )
        .join(Cliente, Cliente.id == AlertaCliente.cliente_id)
        .where(*conditions)
        .order_by(AlertaCliente.rango, AlertaCliente.cliente_id, AlertaCliente.posicion)
        .offset(skip)
        .limit(limit)
    ).all()
    return rows, total


def contar_alertas(session: Session, *, severidad: Severidad | None, tipo: str | None) -> int:
    """How many stored alerts match, from the running totals per (severity, type)."""
    total = 0
    for clave, numero in session.execute(
        select(ContadorCartera.clave, ContadorCartera.numero).where(
            ContadorCartera.grupo == "alertas"
        )
    ):
        sev, _, tip = clave.partition("|")
        if (severidad is None or sev == severidad) and (tipo is None or tip == tipo):
            total += int(numero)
    return total


def contar_alertas_completo(
    session: Session, *, severidad: Severidad | None, tipo: str | None
) -> int:
    """`contar_alertas` as an aggregate over every alert: the totals' definition."""
    conditions = []
    if severidad:
        conditions.append(AlertaCliente.severidad == severidad)
    if tipo:
        conditions.append(AlertaCliente.tipo == tipo)
    return session.scalar(select(func.count()).select_from(AlertaCliente).where(*conditions)) or 0


def alertas_por_severidad(session: Session) -> dict[str, int]:
    rows = session.execute(
        select(AlertaCliente.severidad, func.count()).group_by(AlertaCliente.severidad)
    ).all()
    return {severidad: count for severidad, count in rows}


def clientes_por_estado(session: Session) -> dict[str, int]:
    rows = session.execute(select(Cliente.estado, func.count()).group_by(Cliente.estado)).all()
    return {estado: count for estado, count in rows}


def totales_salud(session: Session) -> tuple[Decimal, Decimal, Decimal]:
    """Σ LTV and Σ expected revenue at 30 and 90 days."""
    ltv = session.scalar(select(suma_exacta(Cliente.ltv)))
    r30, r90 = session.execute(
        select(
            suma_exacta(SaludCliente.ingresos_esperados_30_dias),
            suma_exacta(SaludCliente.ingresos_esperados_90_dias),
        )
    ).one()
    return centimos(ltv), centimos(r30), centimos(r90)


# What an opportunity is worth: the won value once won (if given), else the estimate.
_IMPORTE = case(
    (
        (Oportunidad.estado == "ganada") & Oportunidad.valor_ganado.is_not(None),
        Oportunidad.valor_ganado,
    ),
    else_=Oportunidad.monto_estimado,
)


def _ponderado() -> Any:
    """Σ amount × probability in ten-thousandths of a euro: whole numbers on both databases,
    so the sum is exact (SQLite sums floats and would miss half cents)."""
    return func.sum(func.round(_IMPORTE * 100) * Oportunidad.probabilidad_cierre)


def _dinero_ponderado(value: Any) -> Decimal:
    return dinero(Decimal(str(value or 0)) / 10000)


def pipeline_por_etapa(session: Session) -> list[tuple[str, int, Decimal, Decimal]]:
    rows = session.execute(
        select(
            Oportunidad.estado,
            func.count(),
            suma_exacta(_IMPORTE),
            _ponderado(),
        ).group_by(Oportunidad.estado)
    ).all()
    return [
        (estado, int(n), centimos(amount), _dinero_ponderado(w)) for estado, n, amount, w in rows
    ]


def prevision_ponderada(session: Session, desde: datetime, hasta: datetime) -> Decimal:
    """Σ amount × probability of open opportunities expected to close in [desde, hasta)."""
    value = session.scalar(
        select(_ponderado()).where(
            Oportunidad.estado.not_in(ESTADOS_CERRADOS),
            Oportunidad.fecha_cierre_estimada >= desde,
            Oportunidad.fecha_cierre_estimada < hasta,
        )
    )
    return _dinero_ponderado(value)


TRAMOS_DEUDA = ("no_vencido", "d1_30", "d31_60", "d61_90", "mas_90")


def _tramo(vencimiento: Any, hoy: date) -> Any:
    """The band of days past due of a due date as of `hoy` (no due date: the oldest)."""
    return case(
        (vencimiento >= hoy, "no_vencido"),
        (vencimiento >= hoy - timedelta(days=30), "d1_30"),
        (vencimiento >= hoy - timedelta(days=60), "d31_60"),
        (vencimiento >= hoy - timedelta(days=90), "d61_90"),
        else_="mas_90",
    ).label("tramo")


def _por_tramo(filas: Any) -> dict[str, tuple[int, Decimal]]:
    resultado = dict.fromkeys(TRAMOS_DEUDA, (0, Decimal("0.00")))
    for nombre, numero, importe in filas:
        resultado[nombre] = (int(numero or 0), centimos(importe))
    return resultado


DIAS_TRAMOS_RECIENTES = 90  # the oldest band begins after this many days past due


def antiguedad_deuda(session: Session, hoy: date) -> dict[str, tuple[int, Decimal]]:
    """(open invoices, amount still owed) per band of days past due, as of `hoy`, from the
    running totals: the due dates from `hoy` − 90 days on (at most 91 past days plus those
    not yet due) banded, and the all-dates total; the oldest band is the total minus the
    others. One statement, whatever the ledger's history or the portfolio's size."""
    tramo = _tramo(CarteraPorFecha.fecha, hoy)
    recientes = (
        select(tramo, func.sum(CarteraPorFecha.numero), func.sum(CarteraPorFecha.importe))
        .where(
            CarteraPorFecha.serie == "deuda",
            CarteraPorFecha.fecha >= hoy - timedelta(days=DIAS_TRAMOS_RECIENTES),
        )
        .group_by(tramo)
    )
    total = select(ContadorCartera.clave, ContadorCartera.numero, ContadorCartera.importe).where(
        ContadorCartera.grupo == "deuda", ContadorCartera.clave == "total"
    )
    bandas: dict[str, tuple[int, int]] = {}
    numero_total = importe_total = 0
    for nombre, numero, importe in session.execute(union_all(recientes, total)).all():
        if nombre == "total":
            numero_total, importe_total = int(numero or 0), int(importe or 0)
        else:
            bandas[nombre] = (int(numero or 0), int(importe or 0))
    bandas["mas_90"] = (
        numero_total - sum(n for n, _ in bandas.values()),
        importe_total - sum(i for _, i in bandas.values()),
    )
    return _por_tramo((nombre, n, i) for nombre, (n, i) in bandas.items())


def antiguedad_deuda_completa(session: Session, hoy: date) -> dict[str, tuple[int, Decimal]]:
    """`antiguedad_deuda` as an aggregate over the open invoices of the ledger."""
    tramo = _tramo(Factura.fecha_vencimiento, hoy)
    return _por_tramo(
        session.execute(
            select(tramo, func.count(), suma_exacta(Factura.pendiente))
            .where(Factura.pendiente > 0)
            .group_by(tramo)
        ).all()
    )


@dataclass(frozen=True)
class Cifras:
    """The dashboard's portfolio-wide totals."""

    por_estado: dict[str, int]
    ltv: Decimal
    ingresos_30: Decimal
    ingresos_90: Decimal
    etapas: list[tuple[str, int, Decimal, Decimal]]
    por_severidad: dict[str, int]


def cifras(session: Session) -> Cifras:
    """Every running total in one read of a few dozen rows."""
    grupos: dict[str, dict[str, tuple[int, int, int]]] = defaultdict(dict)
    for grupo, clave, numero, importe, ponderado in session.execute(
        select(
            ContadorCartera.grupo,
            ContadorCartera.clave,
            ContadorCartera.numero,
            ContadorCartera.importe,
            ContadorCartera.ponderado,
        )
    ):
        grupos[grupo][clave] = (int(numero), int(importe), int(ponderado))
    severidades: dict[str, int] = defaultdict(int)
    for clave, (numero, _, _) in grupos["alertas"].items():
        severidades[clave.partition("|")[0]] += numero
    ingresos = grupos["ingresos"]
    return Cifras(
        por_estado={e: n for e, (n, _, _) in grupos["clientes"].items() if n},
        ltv=centimos(sum(i for _, i, _ in grupos["clientes"].values())),
        ingresos_30=centimos(ingresos.get("30", (0, 0, 0))[1]),
        ingresos_90=centimos(ingresos.get("90", (0, 0, 0))[1]),
        etapas=[
            (e, n, centimos(i), _dinero_ponderado(p))
            for e, (n, i, p) in grupos["oportunidades"].items()
            if n
        ],
        por_severidad={s: n for s, n in severidades.items() if n},
    )


def cifras_completas(session: Session) -> Cifras:
    """`cifras` as aggregates over every row: the definition the running totals keep."""
    ltv, r30, r90 = totales_salud(session)
    return Cifras(
        por_estado=clientes_por_estado(session),
        ltv=ltv,
        ingresos_30=r30,
        ingresos_90=r90,
        etapas=pipeline_por_etapa(session),
        por_severidad=alertas_por_severidad(session),
    )


def contar_esperadas(session: Session, desde: date, hasta: date) -> int:
    """Clients, neither dormant nor lost, whose next invoice is expected in [desde, hasta],
    from the running totals per expected date."""
    total = session.scalar(
        select(func.sum(CarteraPorFecha.numero)).where(
            CarteraPorFecha.serie == "esperada",
            CarteraPorFecha.fecha >= desde,
            CarteraPorFecha.fecha <= hasta,
        )
    )
    return int(total or 0)


# A churn score of 100: marked lost by hand (always 100), or under 0.5 % of still being a
# client by the purchase model. Past saving either way: the dashboard's "clients most at
# risk" are those that can still be kept, read as a range of the score's index.
PERDIDO_DEL_TODO = 100


def clientes_en_riesgo(session: Session, limit: int, desde: int) -> Sequence[Any]:
    """The clients most at risk of leaving, a score of `desde` or more, that are not lost
    yet, most at risk first."""
    return session.execute(
        select(
            Cliente.id,
            Cliente.nombre_empresa,
            Cliente.estado,
            SaludCliente.riesgo_perdida_score,
            SaludCliente.riesgo_impago_nivel,
            SaludCliente.salud_general,
        )
        .join(SaludCliente, SaludCliente.cliente_id == Cliente.id)
        .where(
            SaludCliente.riesgo_perdida_score >= desde,
            SaludCliente.riesgo_perdida_score < PERDIDO_DEL_TODO,
            Cliente.estado != EstadoCliente.CLIENTE_PERDIDO,
        )
        .order_by(SaludCliente.riesgo_perdida_score.desc(), SaludCliente.cliente_id)
        .limit(limit)
    ).all()


def _ventana(desde: date, hasta: date) -> tuple[Any, ...]:
    return (
        SaludCliente.fecha_proxima_factura_esperada >= desde,
        SaludCliente.fecha_proxima_factura_esperada <= hasta,
        Cliente.estado.not_in(("cliente_dormido", "cliente_perdido")),
    )


def contar_esperadas_completo(session: Session, desde: date, hasta: date) -> int:
    """`contar_esperadas` as an aggregate over the health rows."""
    return (
        session.scalar(
            select(func.count())
            .select_from(SaludCliente)
            .join(Cliente, Cliente.id == SaludCliente.cliente_id)
            .where(*_ventana(desde, hasta))
        )
        or 0
    )


def facturas_esperadas(session: Session, desde: date, hasta: date, limit: int) -> Sequence[Any]:
    """The first clients whose next invoice is expected in [desde, hasta], soonest first."""
    return session.execute(
        select(
            Cliente.id,
            Cliente.nombre_empresa,
            SaludCliente.fecha_proxima_factura_esperada,
            SaludCliente.monto_promedio_factura,
        )
        .join(SaludCliente, SaludCliente.cliente_id == Cliente.id)
        .where(*_ventana(desde, hasta))
        .order_by(SaludCliente.fecha_proxima_factura_esperada, SaludCliente.cliente_id)
        .limit(limit)
    ).all()
