"""A batch's receivables ledger as numpy arrays: the daily recompute's input.

The recompute scores clients a thousand at a time, about twelve thousand invoices a batch.
Read as Python objects (a `FacturaHecho` per invoice, Decimals and dates converted one by
one) the ledger was a fifth of a worker's time. Here the database hands over integers
(amounts in whole cents, days as ordinals, `repository.ledger.filas`) and each column
becomes one int64 array (`desde_filas`), which the batch engines read
(`pagos_lote.comportamiento_pago_libro`, `figuras_lote`). A `FacturaHecho` is built only
where a client's invoices are needed one by one (`facturas_hecho`: an overdue invoice the
rules name), the same values to the last digit as the entities'; a write's refresh, a
client or a few, builds them from the rows without arrays (`facturas_de_filas`).

Conventions: day ordinals are `date.toordinal()`, 0 for "no date" (real ordinals start at
1); amounts are cents, exact in int64.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import numpy as np
from numpy.typing import NDArray

from smartbilling_crm.salud.motor.hechos import FacturaHecho

Enteros = NDArray[np.int64]
Booleanos = NDArray[np.bool_]
SIN_FECHA = 0

# The columns of a ledger row as `repository.ledger.filas` reads them: one row per
# live payment of an invoice, or one with no payment; invoices oldest first, each
# invoice's payments by day and id right after its first row.
COLUMNAS = (
    "cliente_id",
    "factura_id",
    "numero",
    "emision",  # ordinal
    "vence",  # ordinal, SIN_FECHA when the invoice has no due date
    "base",  # cents
    "total",  # cents
    "pago",  # ordinal of the ledger's settlement day, or SIN_FECHA
    "anulada",  # 0 / 1
    "pendiente",  # cents
    "credito",  # cents
    "hay_cobro",  # 0: the invoice has no live payment (the rest of the row is 0)
    "cobro_dia",  # ordinal, SIN_FECHA for a payment without a day
    "cobro_importe",  # cents; 0 when `cobro_sin_importe`
    "cobro_sin_importe",  # 1: a `factura.pagada` settlement the ledger has not settled yet
)


@dataclass(frozen=True)
class LibroLote:
    """The ledger of `n` clients: invoices (one entry per invoice, `cliente` its client's
    position in the batch) and their live payments (`de_factura` the invoice's entry),
    both in the ledger's order."""

    ids: tuple[str, ...]  # the clients, by position
    cliente: Enteros
    factura_id: list[str]
    numero: list[str]
    emision: Enteros
    vence: Enteros
    base: Enteros
    total: Enteros
    pago: Enteros
    anulada: Booleanos
    pendiente: Enteros
    credito: Enteros
    de_factura: Enteros
    cobro_dia: Enteros
    # A settlement without an amount pays the rest (`facturacion.libro.resto`), already here.
    cobro_importe: Enteros

    @property
    def n(self) -> int:
        return len(self.ids)

    @property
    def facturas(self) -> int:
        return len(self.cliente)


def _vacio(ids: Sequence[str]) -> LibroLote:
    nada = np.zeros(0, dtype=np.int64)
    return LibroLote(tuple(ids), nada, [], [], *(nada,) * 5, nada.astype(bool), *(nada,) * 5)


def desde_filas(filas: Sequence[Sequence[Any]], ids: Sequence[str]) -> LibroLote:
    """The arrays of the rows of `COLUMNAS` read for the clients `ids` (their positions)."""
    if not filas:
        return _vacio(ids)
    columnas = list(zip(*filas, strict=True))
    posicion = {cliente_id: i for i, cliente_id in enumerate(ids)}

    def enteros(nombre: str) -> Enteros:
        return np.array(columnas[COLUMNAS.index(nombre)], dtype=np.int64)

    cliente_ids: tuple[str, ...] = columnas[0]
    factura_ids: tuple[str, ...] = columnas[1]
    # A payment's rows follow its invoice's first one (an invoice: its client and id).
    primera = np.array(
        [
            True,
            *(
                antes != despues
                for antes, despues in itertools.pairwise(zip(factura_ids, cliente_ids, strict=True))
            ),
        ],
        dtype=bool,
    )
    filas_factura = np.flatnonzero(primera)
    de_factura = np.cumsum(primera) - 1
    hay_cobro = enteros("hay_cobro").astype(bool)
    cobro_dia = enteros("cobro_dia")
    importe = enteros("cobro_importe")
    sin_importe = enteros("cobro_sin_importe").astype(bool) & hay_cobro
    total = enteros("total")[filas_factura]
    if sin_importe.any():
        # `facturacion.libro.resto`: the total less the invoice's payments with an amount
        # (dated or not), never negative; nothing for a credit note.
        explicitos = np.zeros(len(filas_factura), dtype=np.int64)
        con = hay_cobro & ~sin_importe
        np.add.at(explicitos, de_factura[con], importe[con])
        resto = np.where(total > 0, np.maximum(0, total - explicitos), 0)
        importe = np.where(sin_importe, resto[de_factura], importe)
    # A payment without a day is no payment the engines can place (nor ever was).
    vivo = hay_cobro & (cobro_dia != SIN_FECHA)
    numeros: tuple[str, ...] = columnas[2]
    cada = filas_factura.tolist()
    return LibroLote(
        ids=tuple(ids),
        cliente=np.array([posicion[cliente_ids[i]] for i in cada], dtype=np.int64),
        factura_id=[factura_ids[i] for i in cada],
        numero=[numeros[i] for i in cada],
        emision=enteros("emision")[filas_factura],
        vence=enteros("vence")[filas_factura],
        base=enteros("base")[filas_factura],
        total=total,
        pago=enteros("pago")[filas_factura],
        anulada=enteros("anulada")[filas_factura].astype(bool),
        pendiente=enteros("pendiente")[filas_factura],
        credito=enteros("credito")[filas_factura],
        de_factura=de_factura[vivo],
        cobro_dia=cobro_dia[vivo],
        cobro_importe=importe[vivo],
    )


def suma_por(indices: Enteros, valores: Enteros, n: int) -> Enteros:
    """Exact integer sums of `valores` by `indices` (0..n-1): per client or per invoice."""
    salida = np.zeros(n, dtype=np.int64)
    np.add.at(salida, indices, valores)
    return salida


def volumen(libro: LibroLote, cuales: Booleanos | None = None) -> NDArray[np.float64]:
    """Per client, every amount of its invoices `cuales` (all by default) and of their
    payments, in absolute value and as floats: how close its sums come to int64's reach
    (9.2e18 cents), without overflowing on the way (a ledger's total column holds up to
    1e14 cents an invoice, and a client may have thousands)."""
    if cuales is None:
        cuales = np.ones(libro.facturas, dtype=bool)
    por_factura = (
        np.abs(libro.base).astype(float)
        + np.abs(libro.total)
        + np.abs(libro.pendiente)
        + np.abs(libro.credito)
    )
    np.add.at(por_factura, libro.de_factura, np.abs(libro.cobro_importe).astype(float))
    salida = np.zeros(libro.n, dtype=float)
    np.add.at(salida, libro.cliente[cuales], por_factura[cuales])
    return salida


_CERO = Decimal("0.00")


def euros(centimos: int) -> Decimal:
    # Decimal('12.30') as the column type reads it: two places, always. Most pending
    # amounts and credits are nothing: one shared zero (Decimals are immutable).
    return _CERO if centimos == 0 else Decimal(centimos).scaleb(-2)


def _fechas(*columnas: Enteros) -> dict[int, date]:
    """Each day of the columns once (a batch's invoices share a few hundred days);
    `SIN_FECHA` is not one (`.get` gives None)."""
    return {o: date.fromordinal(o) for o in np.unique(np.concatenate(columnas)).tolist() if o}


def facturas_hecho(libro: LibroLote, filas: Enteros | None = None) -> list[list[FacturaHecho]]:
    """Per client position, its invoices as the per-client engines read them (in the
    ledger's order, each with its live payments): all, or only the entries `filas`
    (ascending)."""
    if filas is None:
        filas = np.arange(libro.facturas)
    elegida = np.zeros(libro.facturas, dtype=bool)
    elegida[filas] = True
    suyo = elegida[libro.de_factura]
    por_cliente: list[list[FacturaHecho]] = [[] for _ in range(libro.n)]
    dia = _fechas(libro.emision[filas], libro.vence[filas], libro.pago[filas], libro.cobro_dia)
    cobros: dict[int, list[tuple[date, Decimal]]] = {i: [] for i in filas.tolist()}
    for factura, cobro_dia, importe in zip(
        libro.de_factura[suyo].tolist(),
        libro.cobro_dia[suyo].tolist(),
        libro.cobro_importe[suyo].tolist(),
        strict=True,
    ):
        cobros[factura].append((dia[cobro_dia], euros(importe)))
    columnas = zip(
        libro.cliente[filas].tolist(),
        [libro.factura_id[i] for i in cobros],
        [libro.numero[i] for i in cobros],
        libro.emision[filas].tolist(),
        libro.vence[filas].tolist(),
        libro.base[filas].tolist(),
        libro.total[filas].tolist(),
        libro.pago[filas].tolist(),
        libro.anulada[filas].tolist(),
        libro.pendiente[filas].tolist(),
        libro.credito[filas].tolist(),
        cobros.values(),
        strict=True,
    )
    for cliente, factura_id, numero, emision, vence, base, total, pago, anulada, *resto in columnas:
        pendiente, credito, de_la_factura = resto
        por_cliente[cliente].append(
            FacturaHecho(
                factura_id,
                numero,
                dia[emision],
                dia.get(vence),
                euros(base),
                euros(total),
                dia.get(pago),
                anulada,
                euros(pendiente),
                euros(credito),
                tuple(de_la_factura),
            )
        )
    return por_cliente


def facturas_de_filas(
    filas: Sequence[Sequence[Any]], ids: Sequence[str]
) -> list[list[FacturaHecho]]:
    """`facturas_hecho(desde_filas(filas, ids))` without numpy: for a few clients (a
    write's refresh), whose arrays would cost more to build than their rows."""
    posicion = {cliente_id: i for i, cliente_id in enumerate(ids)}
    por_cliente: list[list[FacturaHecho]] = [[] for _ in ids]
    dias: dict[int, date] = {}

    def dia(ordinal: int) -> date:
        if ordinal not in dias:
            dias[ordinal] = date.fromordinal(ordinal)
        return dias[ordinal]

    def cerrar(cabeza: Sequence[Any], cobros: list[tuple[int, int | None]]) -> None:
        cliente_id, factura_id, numero, emision, vence, base, total, pago, anulada, *resto = cabeza
        pendiente, credito = resto
        if any(i is None for _, i in cobros):  # `facturacion.libro.resto`
            explicitos = sum(i for _, i in cobros if i is not None)
            liquidado = max(0, total - explicitos) if total > 0 else 0
            cobros = [(d, liquidado if i is None else i) for d, i in cobros]
        por_cliente[posicion[cliente_id]].append(
            FacturaHecho(
                factura_id,
                numero,
                dia(emision),
                dia(vence) if vence != SIN_FECHA else None,
                euros(base),
                euros(total),
                dia(pago) if pago != SIN_FECHA else None,
                bool(anulada),
                euros(pendiente),
                euros(credito),
                tuple((dia(d), euros(i or 0)) for d, i in cobros if d != SIN_FECHA),
            )
        )

    cabeza: Sequence[Any] = ()
    cobros: list[tuple[int, int | None]] = []
    for fila in filas:
        if tuple(fila[:2]) != tuple(cabeza[:2]):
            if cabeza:
                cerrar(cabeza, cobros)
            cabeza, cobros = fila[:11], []
        hay_cobro, cobro_dia, importe, sin_importe = fila[11:]
        if hay_cobro:
            cobros.append((cobro_dia, None if sin_importe else importe))
    if cabeza:
        cerrar(cabeza, cobros)
    return por_cliente
