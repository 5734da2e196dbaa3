"""SQL aggregates over the whole portfolio: alerts, dashboard and pipeline.

Every figure is one aggregate statement over indexed columns or stored health rows;
nothing loops over clients in Python.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from smartbilling_crm.dominio import Severidad
from smartbilling_crm.models import AlertaCliente, Cliente, Factura, Oportunidad, SaludCliente

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
    total = session.scalar(select(func.count()).select_from(AlertaCliente).where(*conditions)) or 0
    rows = session.execute(
        select(
            AlertaCliente.cliente_id,
            Cliente.nombre_empresa,
            AlertaCliente.tipo,
            AlertaCliente.severidad,
            AlertaCliente.mensaje,
        )
        .join(Cliente, Cliente.id == AlertaCliente.cliente_id)
        .where(*conditions)
        .order_by(AlertaCliente.rango, AlertaCliente.cliente_id, AlertaCliente.posicion)
        .offset(skip)
        .limit(limit)
    ).all()
    return rows, total


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


def antiguedad_deuda(session: Session, hoy: date) -> dict[str, tuple[int, Decimal]]:
    """(open invoices, amount still owed) per band of days past due, as of `hoy`, over the
    open invoices of the ledger (`pendiente > 0`: the partial index serves it alone)."""
    tramo = case(
        (Factura.fecha_vencimiento >= hoy, "no_vencido"),
        (Factura.fecha_vencimiento >= hoy - timedelta(days=30), "d1_30"),
        (Factura.fecha_vencimiento >= hoy - timedelta(days=60), "d31_60"),
        (Factura.fecha_vencimiento >= hoy - timedelta(days=90), "d61_90"),
        else_="mas_90",
    ).label("tramo")
    filas = session.execute(
        select(tramo, func.count(), suma_exacta(Factura.pendiente))
        .where(Factura.pendiente > 0)
        .group_by(tramo)
    ).all()
    resultado = dict.fromkeys(TRAMOS_DEUDA, (0, Decimal("0.00")))
    for nombre, numero, importe in filas:
        resultado[nombre] = (int(numero), centimos(importe))
    return resultado


def clientes_en_riesgo(session: Session, limit: int) -> Sequence[Any]:
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
        .where(SaludCliente.riesgo_perdida_score > 0)
        .order_by(SaludCliente.riesgo_perdida_score.desc(), Cliente.id)
        .limit(limit)
    ).all()


def facturas_esperadas(
    session: Session, desde: date, hasta: date, limit: int
) -> tuple[Sequence[Any], int]:
    """Clients whose next invoice is expected in [desde, hasta]."""
    window = (
        SaludCliente.fecha_proxima_factura_esperada >= desde,
        SaludCliente.fecha_proxima_factura_esperada <= hasta,
        Cliente.estado.not_in(("cliente_dormido", "cliente_perdido")),
    )
    total = (
        session.scalar(
            select(func.count())
            .select_from(SaludCliente)
            .join(Cliente, Cliente.id == SaludCliente.cliente_id)
            .where(*window)
        )
        or 0
    )
    rows = session.execute(
        select(
            Cliente.id,
            Cliente.nombre_empresa,
            SaludCliente.fecha_proxima_factura_esperada,
            SaludCliente.monto_promedio_factura,
        )
        .join(SaludCliente, SaludCliente.cliente_id == Cliente.id)
        .where(*window)
        .order_by(SaludCliente.fecha_proxima_factura_esperada, Cliente.id)
        .limit(limit)
    ).all()
    return rows, total
