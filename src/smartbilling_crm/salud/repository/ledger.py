"""The receivables ledger as the health engine reads it: each client's invoices with their
live payments, as integer arrays (`salud.motor.libro_lote`), for one client (a write's
refresh) or a batch (`recalcular`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import BigInteger, and_, case, cast, func, literal_column, select, type_coerce
from sqlalchemy.orm import Session

from smartbilling_crm.models import Cobro, Factura
from smartbilling_crm.salud.motor.libro_lote import SIN_FECHA, LibroLote, desde_filas
from smartbilling_crm.salud.repository import _de, filas_del_driver

# A payment's amount; a `factura.pagada` one's is the rest the ledger settled it for.
_IMPORTE = func.coalesce(Cobro.importe, Cobro.importe_liquidado)

# Day ordinals (`date.toordinal()`, 0 for NULL) and whole cents, computed by the database:
# a batch's ledger becomes arrays without a Python conversion per value
# (`salud.motor.libro_lote`). SQLite keeps dates as ISO text (julianday of 0001-01-01 is
# 1721425.5, ordinal 1) and NUMERIC(14, 2) as binary floats, which ROUND(x * 100) brings
# back to their cents exactly; PostgreSQL subtracts dates to whole days.
# The constants are written into the statement, not bound: twenty bound parameters cost
# SQLAlchemy a little on every execution.
_CERO: Any = literal_column(str(SIN_FECHA))
_UNO: Any = literal_column("1")
_CIEN: Any = literal_column("100")


def ordinal(columna: Any, dialecto: str) -> Any:
    if dialecto == "sqlite":
        dias: Any = cast(func.julianday(columna) - literal_column("1721424.5"), BigInteger)
    else:
        dias = type_coerce(columna - literal_column("DATE '0001-01-01'"), BigInteger) + _UNO
    return func.coalesce(dias, _CERO)


def centimos(columna: Any) -> Any:
    return cast(func.round(columna * _CIEN), BigInteger)


def _libro_lote(dialecto: str) -> Any:
    hay_cobro = Cobro.cobro_id.is_not(None)
    return (
        select(
            Factura.cliente_id,
            Factura.factura_id,
            Factura.numero,
            ordinal(Factura.fecha_emision, dialecto),
            ordinal(Factura.fecha_vencimiento, dialecto),
            centimos(Factura.base_imponible),
            centimos(Factura.total),
            ordinal(Factura.fecha_pago, dialecto),
            case((Factura.anulada, _UNO), else_=_CERO),
            centimos(Factura.pendiente),
            centimos(Factura.credito_aplicado),
            case((hay_cobro, _UNO), else_=_CERO),
            ordinal(Cobro.fecha, dialecto),
            func.coalesce(centimos(_IMPORTE), _CERO),
            case((and_(hay_cobro, _IMPORTE.is_(None)), _UNO), else_=_CERO),
        )
        .select_from(Factura)
        # The payments are also filtered by client (a payment's client is its invoice's):
        # without it PostgreSQL hashed every live payment of the portfolio for each batch
        # (135 → 72 ms of the server's time a batch at 20k clients).
        .outerjoin(
            Cobro,
            and_(
                Cobro.factura_id == Factura.factura_id,
                Cobro.devuelto.is_(False),
                _de(Cobro.cliente_id),
            ),
        )
        .where(_de(Factura.cliente_id))
        .order_by(Factura.fecha_emision, Factura.factura_id, Cobro.fecha, Cobro.cobro_id)
    )


_LIBRO_LOTE = {dialecto: _libro_lote(dialecto) for dialecto in ("sqlite", "postgresql")}


def filas(session: Session, ids: Sequence[str]) -> list[tuple[Any, ...]]:
    """The ledger of the (distinct) clients `ids` as rows of `salud.motor.libro_lote.COLUMNAS`:
    each invoice with its live (not returned) payments, one statement, read through the
    driver's cursor (plain tuples of integers and ids, nothing for SQLAlchemy to convert)."""
    stmt = _LIBRO_LOTE[session.get_bind().dialect.name]
    return filas_del_driver(session, stmt, {"ids": list(ids)})


def libro_lote(session: Session, ids: Sequence[str]) -> LibroLote:
    """The same, as the arrays of a batch."""
    return desde_filas(filas(session, ids), ids)
