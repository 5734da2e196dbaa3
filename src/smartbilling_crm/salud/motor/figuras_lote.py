"""The ledger figures of a whole batch of clients at once, from its arrays (`libro_lote`).

What `metricas.figuras_libro` and `compras.resumir` compute from one client's invoices
(LTV, average invoice, purchase days, oldest paid and unpaid invoice, the payment trend,
the credit in the client's favour, the overdue invoices, the purchase history the model
reads), here as sums and minima over the batch's int64 arrays. Only what is per client by
nature stays Python: its few purchase days, and a `FacturaHecho` for each overdue invoice
(the rules name them). `tests/salud/test_figuras_lote.py` pins every figure to the
per-client engines on thousands of random ledgers.
"""

from __future__ import annotations

import bisect
from datetime import date
from fractions import Fraction
from typing import NamedTuple

import numpy as np

from smartbilling_crm.salud.motor.compras import (
    HistorialCompras,
    compras_diarias,
    resumen,
    resumir,
)
from smartbilling_crm.salud.motor.hechos import (
    TENDENCIA_MIN_ANTERIORES,
    TENDENCIA_RECIENTES,
    FacturaHecho,
    TendenciaPago,
    dinero,
)
from smartbilling_crm.salud.motor.libro_lote import (
    SIN_FECHA,
    Booleanos,
    Enteros,
    LibroLote,
    euros,
    facturas_hecho,
    suma_por,
    volumen,
)
from smartbilling_crm.salud.motor.metricas import FigurasLibro, figuras_libro

_NINGUNA = np.iinfo(np.int64).max
_LIMITE_INT64 = 2.0**62  # with room to spare for the sums' intermediate terms


class FigurasLote(NamedTuple):
    figuras: list[FigurasLibro]
    historiales: list[HistorialCompras | None]  # `compras.resumir` of each client's purchases


def _suma(libro: LibroLote, donde: Booleanos, valores: Enteros) -> Enteros:
    """Per client, `valores` of its invoices `donde`."""
    return suma_por(libro.cliente[donde], valores[donde], libro.n)


def _primera(libro: LibroLote, donde: Booleanos) -> Enteros:
    """Per client, the earliest issue day of its invoices `donde` (`_NINGUNA` if none)."""
    salida = np.full(libro.n, _NINGUNA, dtype=np.int64)
    np.minimum.at(salida, libro.cliente[donde], libro.emision[donde])
    return salida


def _compras(libro: LibroLote) -> tuple[list[int], list[int], list[int]]:
    """Per client (offsets into the other two), its purchase days, oldest first, and what
    each day's positive-base live invoices add up to (cents): `compras.compras_diarias`."""
    es = ~libro.anulada & (libro.base > 0)
    cliente, dia, base = libro.cliente[es], libro.emision[es], libro.base[es]
    orden = np.lexsort((dia, cliente))
    cliente, dia, base = cliente[orden], dia[orden], base[orden]
    nuevo = np.ones(len(dia), dtype=bool)
    nuevo[1:] = (cliente[1:] != cliente[:-1]) | (dia[1:] != dia[:-1])
    inicio = np.flatnonzero(nuevo)
    importes = np.add.reduceat(base, inicio) if len(inicio) else base[:0]
    por_cliente = np.bincount(cliente[inicio], minlength=libro.n)
    desde = np.concatenate(([0], np.cumsum(por_cliente))).tolist()
    return desde, dia[inicio].tolist(), importes.tolist()


def _tendencias(libro: LibroLote, pagada: Booleanos) -> list[TendenciaPago | None]:
    """`cobros.tendencia_pago`: the last paid invoices (by payment day) against the earlier
    ones. Ties in (payment day, issue day) take the same days to pay, so the sums do not
    depend on how the engine orders them further (number, id)."""
    cliente, pago, emision = libro.cliente[pagada], libro.pago[pagada], libro.emision[pagada]
    orden = np.lexsort((emision, pago, cliente))
    cliente, dias = cliente[orden], (pago - emision)[orden]
    cuantas = np.bincount(cliente, minlength=libro.n)
    fin = np.cumsum(cuantas)
    desde_el_final = fin[cliente] - np.arange(len(cliente))  # 1 for a client's last
    reciente = desde_el_final <= TENDENCIA_RECIENTES
    suma_reciente = suma_por(cliente[reciente], dias[reciente], libro.n)
    suma = suma_por(cliente, dias, libro.n)
    tendencias: list[TendenciaPago | None] = [None] * libro.n
    for i in np.flatnonzero(cuantas - TENDENCIA_RECIENTES >= TENDENCIA_MIN_ANTERIORES).tolist():
        anteriores = int(cuantas[i]) - TENDENCIA_RECIENTES
        tendencias[i] = TendenciaPago(
            media_reciente=Fraction(int(suma_reciente[i]), TENDENCIA_RECIENTES),
            media_anterior=Fraction(int(suma[i] - suma_reciente[i]), anteriores),
            recientes=TENDENCIA_RECIENTES,
            anteriores=anteriores,
        )
    return tendencias


def _saldos(libro: LibroLote) -> Enteros:
    """`metricas.saldo_a_favor` before its floor at zero, per client (cents)."""
    pagado = suma_por(libro.de_factura, libro.cobro_importe, libro.facturas)
    total = libro.total
    aporta = np.where(
        libro.anulada,
        pagado,
        np.where(
            total < 0,
            np.maximum(0, -total - pagado),
            np.where(total > 0, np.maximum(0, pagado - total) - libro.credito, 0),
        ),
    )
    return _suma(libro, np.ones(libro.facturas, dtype=bool), aporta)


def _vencidas(libro: LibroLote, de_cobro: Booleanos, hoy: int) -> list[list[FacturaHecho]]:
    """`cobros.facturas_vencidas`: something owed past a due date the invoice has."""
    vencida = de_cobro & (libro.pendiente > 0) & (libro.vence != SIN_FECHA) & (libro.vence < hoy)
    return [
        sorted(v, key=lambda f: (f.fecha_vencimiento, f.numero, f.factura_id)) if v else v
        for v in facturas_hecho(libro, np.flatnonzero(vencida))
    ]


def figuras_lote(libro: LibroLote, hoy: date) -> FigurasLote:
    """Every client's `FigurasLibro` and purchase history, as of `hoy`."""
    viva = ~libro.anulada
    de_cobro = viva & (libro.total > 0)
    positiva = viva & (libro.base > 0)
    ltv = _suma(libro, viva, libro.base)
    vendido = _suma(libro, positiva, libro.base)
    ventas = np.bincount(libro.cliente[positiva], minlength=libro.n)
    pagada = de_cobro & (libro.pago != SIN_FECHA) & (libro.pendiente <= 0)
    pagada_primera = _primera(libro, pagada)
    impagada_primera = _primera(libro, de_cobro & (libro.pendiente > 0))
    con_cobro = np.bincount(libro.cliente[de_cobro], minlength=libro.n) > 0
    saldos = np.maximum(0, _saldos(libro))
    tendencias = _tendencias(libro, pagada)
    vencidas = _vencidas(libro, de_cobro, hoy.toordinal())
    desde, dias, importes = _compras(libro)
    fecha: dict[int, date] = {o: date.fromordinal(o) for o in set(dias)}
    hasta_hoy = hoy.toordinal()
    figuras: list[FigurasLibro] = []
    historiales: list[HistorialCompras | None] = []
    for i, (suma, vendido_i, cuantas, primera_p, primera_i, cobro, saldo) in enumerate(
        zip(
            ltv.tolist(),
            vendido.tolist(),
            ventas.tolist(),
            pagada_primera.tolist(),
            impagada_primera.tolist(),
            con_cobro.tolist(),
            saldos.tolist(),
            strict=True,
        )
    ):
        suyos = dias[desde[i] : desde[i + 1]]
        hasta = bisect.bisect_right(suyos, hasta_hoy)  # an invoice dated later: not yet
        compras = [fecha[d] for d in suyos[:hasta]]
        figuras.append(
            FigurasLibro(
                ltv=euros(suma),
                monto_promedio=dinero(euros(vendido_i) / cuantas) if cuantas else None,
                compras=compras,
                pagada_mas_antigua=None if primera_p == _NINGUNA else date.fromordinal(primera_p),
                impagada_mas_antigua=None if primera_i == _NINGUNA else date.fromordinal(primera_i),
                tendencia=tendencias[i],
                saldo_a_favor=euros(saldo),
                vencidas=vencidas[i],
                de_cobro=cobro,
            )
        )
        historiales.append(
            resumen(
                compras,
                [c / 100 for c in importes[desde[i] : desde[i] + hasta]],
                hoy,
            )
        )
    # A client whose amounts could overflow the int64 sums above (about 9.2e18 cents:
    # thousands of invoices near the column's largest amount) is summed by the per-client
    # engines instead, in Decimals.
    grandes = np.flatnonzero(volumen(libro) > _LIMITE_INT64)
    if len(grandes):
        suyas = facturas_hecho(libro, np.flatnonzero(np.isin(libro.cliente, grandes)))
        for i in grandes.tolist():
            figuras[i] = figuras_libro(suyas[i], hoy)
            historiales[i] = resumir(compras_diarias(suyas[i]), hoy)
    return FigurasLote(figuras, historiales)
