"""The payment engine of `salud.motor.pagos`, over a whole batch of clients at once.

The daily recompute scores clients a thousand at a time. Here every invoice and payment of
the batch is one row of a few numpy arrays, amounts as whole cents (int64: exact) and dates
as day ordinals, and each client's sums (`pagos.Agregados`) come from a handful of
vectorised operations instead of Decimal arithmetic invoice by invoice. The figures, level
and reasons then come from the scalar engine's own `pagos.resultado`, so both say the
same thing in the same words: `tests/salud/test_pagos_lote.py` pins them figure for figure
on thousands of random ledgers.

An overpaid invoice's payments are held to its total as the scalar engine holds them
(`factura_cobro.hasta_el_total`), vectorised too, and only when some invoice of the batch is
overpaid.

The batch comes as the daily recompute reads it, the ledger's arrays (`libro_lote`: whole
cents, as the ledger stores them). A client whose amounts add up past `_MAX_CENTIMOS` (its
amount × days sums must fit in int64) is scored by the scalar engine.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import NamedTuple

import numpy as np
from numpy.typing import NDArray

from smartbilling_crm.salud.motor.libro_lote import (
    SIN_FECHA,
    LibroLote,
    euros,
    facturas_hecho,
    suma_por,
    volumen,
)
from smartbilling_crm.salud.motor.metricas import facturas_de_cobro
from smartbilling_crm.salud.motor.pagos import (
    DSO_VENTANA_DIAS,
    PLAZO_PAGO_DIAS,
    TRAMOS,
    Agregados,
    ComportamientoPago,
    PriorPagos,
    comportamiento_pago,
    resultado,
)

Enteros = NDArray[np.int64]
_MAX_ORDINAL = date.max.toordinal()
# Upper bounds of the ageing bands but the last, in days past due (`pagos._tramo`).
_LIMITES_TRAMOS = np.array([0, 30, 60, 90], dtype=np.int64)


# A client whose amounts add up to more than this (ten billion euros, in cents) goes to the
# scalar engine: its amounts × days (up to 3.65 million days apart) must fit in int64.
_MAX_CENTIMOS = 10**12


class _Columnas(NamedTuple):
    """The invoices the clients owe and their payments as arrays (what `_agregados` reads)."""

    cliente: Enteros
    emision: Enteros
    vence: Enteros
    total: Enteros
    pendiente: Enteros
    de_factura: Enteros  # payment -> its invoice's entry
    fecha: Enteros
    importe: Enteros


def comportamiento_pago_libro(
    libro: LibroLote, hoy: date, prior: PriorPagos, plazo_dias: int = PLAZO_PAGO_DIAS
) -> list[ComportamientoPago]:
    """`pagos.comportamiento_pago(facturas_de_cobro(facturas), hoy, prior, plazo_dias)` of
    every client of a batch read as arrays (`libro_lote`), at once: no Python step per
    invoice (but for a client whose sums would not fit in int64, scored by the scalar
    engine)."""
    n = libro.n
    de_cobro = ~libro.anulada & (libro.total > 0)
    # The amounts of the invoices it owes and their payments, as floats (an int64 sum
    # of a huge ledger would wrap round and keep it here).
    escalar = volumen(libro, de_cobro) > _MAX_CENTIMOS
    cuenta = de_cobro & ~escalar[libro.cliente]
    nueva = np.cumsum(cuenta) - 1  # an invoice's entry among those kept
    cobro = cuenta[libro.de_factura]
    emision = libro.emision[cuenta]
    vence = libro.vence[cuenta]
    # `factura_cobro.vencimiento`: issue + plazo, held within the calendar.
    vence = np.where(vence == SIN_FECHA, np.clip(emision + plazo_dias, 1, _MAX_ORDINAL), vence)
    columnas = _Columnas(
        libro.cliente[cuenta],
        emision,
        vence,
        libro.total[cuenta],
        libro.pendiente[cuenta],
        nueva[libro.de_factura[cobro]],
        libro.cobro_dia[cobro],
        libro.cobro_importe[cobro],
    )
    agregados = _agregados(columnas, n, hoy.toordinal())
    if not escalar.any():
        return [resultado(agregados(i), prior) for i in range(n)]
    grandes = facturas_hecho(libro, np.flatnonzero(escalar[libro.cliente]))
    return [
        comportamiento_pago(facturas_de_cobro(grandes[i]), hoy, prior, plazo_dias)
        if escalar[i]
        else resultado(agregados(i), prior)
        for i in range(n)
    ]


def _agregados(columnas: _Columnas, n: int, hoy: int) -> Callable[[int], Agregados]:
    """Every client's `Agregados`, as a function of its position in the batch."""
    cliente, emision, vence, total, pendiente, de_factura, fecha, importe = columnas
    m = len(cliente)

    # Payments count up to the invoice's total (`factura_cobro.hasta_el_total`): an overpaid
    # invoice's payments paid min(its total, all of them).
    pagado = suma_por(de_factura, importe, m)
    if (pagado > total).any():
        importe = _hasta_el_total(total, pagado, de_factura, fecha, importe)
        pagado = np.minimum(pagado, total)

    # As of `hoy` (`factura_cobro.a_fecha`): a later payment was still pending then.
    futuro = fecha > hoy
    posterior = suma_por(de_factura[futuro], importe[futuro], m)
    pendiente = pendiente + posterior
    pagado = pagado - posterior
    de_factura, fecha, importe = de_factura[~futuro], fecha[~futuro], importe[~futuro]

    # What is owed, by how long past due.
    abierta = pendiente > 0
    dias_vencida = hoy - vence
    vencida = abierta & (dias_vencida > 0)
    pendiente_c = suma_por(cliente[abierta], pendiente[abierta], n)
    vencido_c = suma_por(cliente[vencida], pendiente[vencida], n)
    vencidas_c = np.bincount(cliente[vencida], minlength=n)
    max_vencida_c = np.zeros(n, dtype=np.int64)
    np.maximum.at(max_vencida_c, cliente[vencida], dias_vencida[vencida])
    tramo = np.searchsorted(_LIMITES_TRAMOS, dias_vencida[abierta], side="left")
    tramos_c = np.zeros((n, len(TRAMOS)), dtype=np.int64)
    np.add.at(tramos_c, (cliente[abierta], tramo), pendiente[abierta])
    reciente = (hoy - emision >= 0) & (hoy - emision < DSO_VENTANA_DIAS)
    facturado_c = suma_por(cliente[reciente], total[reciente], n)
    facturas_c = np.bincount(cliente, minlength=n)

    # Amount-weighted days to pay and days late: positive payments of settled invoices.
    cuenta = (pendiente[de_factura] <= 0) & (importe > 0)
    fc, imp = de_factura[cuenta], importe[cuenta]
    quien = cliente[fc]
    peso_c = suma_por(quien, imp, n)
    dias_pago_c = suma_por(quien, imp * np.maximum(0, fecha[cuenta] - emision[fc]), n)
    dias_retraso_c = suma_por(quien, imp * np.maximum(0, fecha[cuenta] - vence[fc]), n)

    # On-time share of the settled-or-overdue amount.
    puntual = fecha <= vence[de_factura]
    a_tiempo = suma_por(de_factura[puntual], importe[puntual], m)
    total_debido = pagado + np.maximum(0, pendiente)
    cuenta_f = ~(abierta & (vence >= hoy)) & (total_debido > 0)
    debido_c = suma_por(cliente[cuenta_f], total_debido[cuenta_f], n)
    a_tiempo_c = suma_por(cliente[cuenta_f], a_tiempo[cuenta_f], n)

    tardia, conocida = _resultados(
        abierta, vence, pagado + pendiente, de_factura, fecha, importe, hoy
    )
    tardias_c = np.bincount(cliente[conocida & tardia], minlength=n)
    conocidas_c = np.bincount(cliente[conocida], minlength=n)

    def agregados(i: int) -> Agregados:
        vencidas = int(vencidas_c[i])
        return Agregados(
            pendiente=euros(int(pendiente_c[i])),
            vencido=euros(int(vencido_c[i])),
            vencidas=vencidas,
            max_vencida=int(max_vencida_c[i]) if vencidas else None,
            tramos={t: euros(int(v)) for t, v in zip(TRAMOS, tramos_c[i], strict=True)},
            facturado=euros(int(facturado_c[i])),
            hay_cobro=bool(facturas_c[i]),
            peso=int(peso_c[i]),
            dias_pago=int(dias_pago_c[i]),
            dias_retraso=int(dias_retraso_c[i]),
            a_tiempo=int(a_tiempo_c[i]),
            debido=int(debido_c[i]),
            tardias=int(tardias_c[i]),
            con_resultado=int(conocidas_c[i]),
        )

    return agregados


def _hasta_el_total(
    total: Enteros, pagado: Enteros, de_factura: Enteros, fecha: Enteros, importe: Enteros
) -> Enteros:
    """`importe` with the payments of each invoice paid beyond its total (`pagado` > total)
    counted, in date order (ties in their given order), only up to it: each one what it
    brought the running sum, held at the total (`factura_cobro.hasta_el_total`)."""
    filas = np.flatnonzero((pagado > total)[de_factura])
    orden = filas[np.lexsort((filas, fecha[filas], de_factura[filas]))]
    factura = de_factura[orden]
    inicio = np.flatnonzero(np.r_[True, factura[1:] != factura[:-1]])
    tamanos = np.diff(np.r_[inicio, len(factura)])
    acumulado = np.cumsum(importe[orden])
    acumulado -= np.repeat(np.r_[0, acumulado[:-1]][inicio], tamanos)
    hasta = np.minimum(acumulado, total[factura])
    previo = np.r_[0, hasta[:-1]]
    previo[inicio] = 0
    salida = importe.copy()
    salida[orden] = hasta - previo
    return salida


def _resultados(
    abierta: NDArray[np.bool_],
    vence: Enteros,
    debido: Enteros,
    de_factura: Enteros,
    fecha: Enteros,
    importe: Enteros,
    hoy: int,
) -> tuple[NDArray[np.bool_], NDArray[np.bool_]]:
    """Per invoice (`factura_cobro.pago_tardio`): (late, has an outcome). Open: late once past due.
    Settled: by the payment that completed what was owed (`debido`: its payments plus what
    is pending, ≤ 0 once settled), taken in date order (ties in their given order), late
    if after the due date; settled by credit alone: no outcome."""
    m = len(vence)
    tardia = abierta & (vence < hoy)
    conocida = tardia.copy()
    con_cobros = np.bincount(de_factura, minlength=m) > 0
    liquidada = ~abierta & con_cobros
    if not liquidada.any():
        return tardia, conocida
    orden = np.lexsort((np.arange(len(fecha)), fecha, de_factura))
    orden = orden[liquidada[de_factura[orden]]]
    factura, dia, imp = de_factura[orden], fecha[orden], importe[orden]
    inicio = np.flatnonzero(np.r_[True, factura[1:] != factura[:-1]])
    acumulado = np.cumsum(imp)
    antes = np.r_[0, acumulado[:-1]][inicio]
    tamanos = np.diff(np.r_[inicio, len(factura)])
    acumulado = acumulado - np.repeat(antes, tamanos)
    alcanza = acumulado >= debido[factura]
    posiciones = np.where(alcanza, np.arange(len(factura)), len(factura))
    primera = np.minimum.reduceat(posiciones, inicio)
    ultima = inicio + tamanos - 1
    primera = np.where(primera < len(factura), primera, ultima)
    facturas = factura[inicio]
    tardia[facturas] = dia[primera] > vence[facturas]
    conocida[facturas] = True
    return tardia, conocida
