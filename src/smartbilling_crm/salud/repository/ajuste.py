"""The portfolio-wide reads of `recalcular`'s fit: every client's purchase days (the
purchase model) and paid-late counts (the late-payment prior), each one statement over
the whole ledger; the purchase days also by ranges of clients, read in parallel and
joined (`unir_partes`)."""

from __future__ import annotations

from array import array
from datetime import date
from typing import Any, TypeAlias

import numpy as np
from sqlalchemy import and_, case, func, or_, select, type_coerce
from sqlalchemy.orm import Session
from sqlalchemy.types import NullType

from smartbilling_crm.models import Factura

# (client numbers, day ordinals, day totals); a string: `array` takes no subscript at runtime.
DiasDeCompra: TypeAlias = "tuple[array[int], array[int], array[float]]"


def dias_de_compra(
    session: Session, desde: str | None = None, hasta: str | None = None
) -> DiasDeCompra:
    """Every purchase day of the ledger, ordered by client and day, as three packed columns:
    the client (a number from 0, the same for all its rows), the day (`date.toordinal`)
    and the day's Σ base (a float, as the purchase model reads it): 24 bytes a row, a
    100k-client portfolio's million purchase days in ~30 MB. A purchase is a day with live
    (not cancelled) invoices of positive base. `desde` ≤ client id < `hasta`, when given:
    a part of the portfolio (`unir_partes` joins consecutive parts into the whole)."""
    clientes, dias, importes = array("q"), array("q"), array("d")
    anterior: str | None = None
    codigo = -1
    stmt = _DIAS_DE_COMPRA
    if desde is not None:
        stmt = stmt.where(Factura.cliente_id >= desde)
    if hasta is not None:
        stmt = stmt.where(Factura.cliente_id < hasta)
    # Per statement: `Connection.execution_options` would set it on the connection, and the
    # next statement of the transaction (an INSERT) would open a server-side cursor too.
    filas = session.connection().execute(stmt, execution_options={"yield_per": 5000})
    for particion in filas.partitions():
        for cliente_id, dia, importe in particion:
            if cliente_id != anterior:
                anterior, codigo = cliente_id, codigo + 1
            clientes.append(codigo)
            dias.append(_ordinal(dia))
            importes.append(_a_float(importe))
    return clientes, dias, importes


def unir_partes(partes: list[DiasDeCompra]) -> DiasDeCompra:
    """The purchase days of consecutive ranges of clients (in id order) as one read of the
    whole: each part's client numbers shifted past the previous parts'."""
    clientes, dias, importes = array("q"), array("q"), array("d")
    for parte_clientes, parte_dias, parte_importes in partes:
        desplazamiento = clientes[-1] + 1 if clientes else 0
        # Shifted by numpy over the packed values: a million rows in a few ms.
        desplazados = np.frombuffer(parte_clientes, dtype=np.int64) + desplazamiento
        clientes.frombytes(desplazados.tobytes())
        dias.extend(parte_dias)
        importes.extend(parte_importes)
    return clientes, dias, importes


# The driver's values, unconverted (`NullType` has no result processor): a million rows at
# 100k clients, where SQLAlchemy's per-row date parsing and Decimal building were three
# quarters of the read. `_ordinal` and `_a_float` give what those conversions gave.
_DIAS_DE_COMPRA = (
    select(
        Factura.cliente_id,
        type_coerce(Factura.fecha_emision, NullType()),
        type_coerce(func.sum(Factura.base_imponible), NullType()),
    )
    .where(Factura.anulada.is_(False), Factura.base_imponible > 0)
    .group_by(Factura.cliente_id, Factura.fecha_emision)
    .order_by(Factura.cliente_id, Factura.fecha_emision)
)


def _ordinal(dia: Any) -> int:
    """SQLite returns a date column as its ISO text, PostgreSQL as a date."""
    return (dia if isinstance(dia, date) else date.fromisoformat(dia)).toordinal()


def _a_float(importe: Any) -> float:
    """PostgreSQL sums `numeric` exactly (a Decimal); SQLite sums its REAL column in binary,
    and `Numeric(14, 2)` read that as `Decimal("%.2f" % suma)`: the same cents here."""
    return float(f"{importe:.2f}") if isinstance(importe, float) else float(importe)


def conteos_pago(session: Session, hoy: date) -> list[tuple[int, int]]:
    """Per client, (invoices paid late or overdue, invoices with an outcome), from the
    ledger's stored settlement: the evidence of the portfolio's late-payment prior
    (salud.motor.pagos.conteo_tardias, as one aggregate)."""
    vencida = and_(Factura.pendiente > 0, Factura.fecha_vencimiento < hoy)
    liquidada = and_(Factura.pendiente <= 0, Factura.fecha_pago.is_not(None))
    tarde = or_(vencida, and_(liquidada, Factura.fecha_pago > Factura.fecha_vencimiento))
    filas = session.execute(
        select(
            func.sum(case((tarde, 1), else_=0)),
            func.sum(case((or_(vencida, liquidada), 1), else_=0)),
        )
        .where(Factura.anulada.is_(False), Factura.total > 0)
        .group_by(Factura.cliente_id)
    )
    return [(int(k or 0), int(n or 0)) for k, n in filas]
