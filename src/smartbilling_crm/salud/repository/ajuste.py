"""The portfolio-wide reads of `recalcular`'s fit: every client's purchase days (the
purchase model) and paid-late counts (the late-payment prior), each one statement over
the whole ledger; the purchase days also by ranges of clients, read in parallel and
joined (`unir_partes`)."""

from __future__ import annotations

import operator
from array import array
from collections.abc import Iterator, Sequence
from datetime import date
from typing import Any, TypeAlias

import numpy as np
from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session

from smartbilling_crm.models import Factura
from smartbilling_crm.salud.repository import ledger

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
    a part of the portfolio (`unir_partes` joins consecutive parts into the whole).

    The database hands over the day as its ordinal and the sum in whole cents (as the
    batches' ledger, `ledger.ordinal`, `ledger.centimos`), and the columns become arrays
    at once: no date parsed nor float formatted per row in Python (a third of the fit's
    read at 100k clients, `bench/ANALYSIS.md`). cents / 100 is the double nearest the
    day's exact total, the value the model read before (PostgreSQL's exact `numeric` sum
    as a float, SQLite's binary sum rounded to cents)."""
    stmt = _DIAS_DE_COMPRA[session.get_bind().dialect.name]
    if desde is not None:
        stmt = stmt.where(Factura.cliente_id >= desde)
    if hasta is not None:
        stmt = stmt.where(Factura.cliente_id < hasta)
    clientes, dias, importes = array("q"), array("q"), array("d")
    anterior: str | None = None  # the last client of the previous partition
    codigo = -1  # its number
    for particion in _particiones(session, stmt):
        anterior, codigo = _anadir(particion, anterior, codigo, clientes, dias, importes)
    return clientes, dias, importes


def _particiones(session: Session, stmt: Any) -> Iterator[Sequence[tuple[str, int, int]]]:
    """A statement's rows a few thousand at a time: a million rows at once would be ~140 MB
    of a process' peak memory. SQLite's cursor steps through the result as it is read, and
    its rows (a string and two integers) are taken from the driver as they are. PostgreSQL
    streams them from a server-side cursor, through SQLAlchemy's result: its own cursor
    has read ahead, so the driver's is not read directly. (Per statement:
    `Connection.execution_options` would set it on the connection, and the next statement
    of the transaction, an INSERT, would open a server-side cursor too.)"""
    conexion = session.connection()
    if conexion.dialect.name != "sqlite":
        yield from conexion.execute(
            stmt, execution_options={"yield_per": _POR_PARTICION}
        ).partitions()
        return
    resultado = conexion.execute(stmt)
    try:
        while particion := resultado.cursor.fetchmany(_POR_PARTICION):
            yield particion
    finally:
        resultado.close()


def _anadir(
    particion: Sequence[tuple[str, int, int]],
    anterior: str | None,
    codigo: int,
    clientes: array[int],
    dias: array[int],
    importes: array[float],
) -> tuple[str, int]:
    """Append a partition of the stream to the columns; its last client and number."""
    ids, ordinales, centimos = zip(*particion, strict=True)
    nuevo = np.fromiter(map(operator.ne, ids, (anterior, *ids[:-1])), dtype=bool, count=len(ids))
    numeros = codigo + np.cumsum(nuevo, dtype=np.int64)
    clientes.frombytes(numeros.tobytes())
    dias.frombytes(np.array(ordinales, dtype=np.int64).tobytes())
    importes.frombytes((np.array(centimos, dtype=np.float64) / 100).tobytes())
    return ids[-1], int(numeros[-1])


_POR_PARTICION = 5000


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


def _dias_de_compra(dialecto: str) -> Any:
    dia = ledger.ordinal(Factura.fecha_emision, dialecto)
    return (
        select(Factura.cliente_id, dia, ledger.centimos(func.sum(Factura.base_imponible)))
        .where(Factura.anulada.is_(False), Factura.base_imponible > 0)
        .group_by(Factura.cliente_id, Factura.fecha_emision)
        .order_by(Factura.cliente_id, Factura.fecha_emision)
    )


_DIAS_DE_COMPRA = {dialecto: _dias_de_compra(dialecto) for dialecto in ("sqlite", "postgresql")}


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
