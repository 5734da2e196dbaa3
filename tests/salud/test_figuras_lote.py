"""The batch ledger figures (`salud.motor.figuras_lote`, numpy over a whole batch read as
arrays) are exactly the per-client engines' (`metricas.figuras_libro`, `compras.resumir`):
every figure, to a Decimal's scale, on thousands of random ledgers."""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal

import pytest

from smartbilling_crm.salud.motor import libro_lote, pagos_lote
from smartbilling_crm.salud.motor.compras import compras_diarias, resumir
from smartbilling_crm.salud.motor.figuras_lote import figuras_lote
from smartbilling_crm.salud.motor.hechos import FacturaHecho
from smartbilling_crm.salud.motor.metricas import facturas_de_cobro, figuras_libro
from smartbilling_crm.salud.motor.pagos import PriorPagos, comportamiento_pago

from .libro_helpers import desde_facturas, filas_de_facturas
from .test_pagos_lote import HOY, _cartera, _en_centimos


def _variado(rng: random.Random, facturas: list[FacturaHecho]) -> list[FacturaHecho]:
    """Bases that are not the totals (net of VAT, or nothing taxable), and zero totals:
    the figures read one or the other."""
    salida = []
    for f in facturas:
        azar = rng.random()
        if azar < 0.2:
            f = f._replace(base_imponible=(f.total / Decimal("1.21")).quantize(Decimal("0.01")))
        elif azar < 0.25:
            f = f._replace(base_imponible=Decimal("0.00"))
        elif azar < 0.3:
            f = f._replace(total=Decimal("0.00"))
        elif azar < 0.33:
            f = f._replace(base_imponible=-f.base_imponible)
        salida.append(f)
    return salida


def _con_compras_repetidas(rng: random.Random, facturas: list[FacturaHecho]) -> list[FacturaHecho]:
    """Some invoices issued on a day another one was (one purchase day, two invoices), and
    a few paid on the day and with the issue day of another (ties in the payment trend)."""
    if len(facturas) < 2 or rng.random() < 0.5:
        return facturas
    otra = facturas[0]
    copia = facturas[1]._replace(fecha_emision=otra.fecha_emision, fecha_pago=otra.fecha_pago)
    return [otra, copia, *facturas[2:]]


@pytest.mark.parametrize(
    ("semilla", "hoy"), [(11, HOY), (12, date(2025, 3, 31)), (13, HOY + timedelta(days=400))]
)
def test_las_figuras_del_lote_son_las_de_cada_cliente(semilla: int, hoy: date) -> None:
    rng = random.Random(semilla)
    ledgers = [
        _variado(rng, _con_compras_repetidas(rng, f))
        for f in _cartera(rng, 1500, HOY)
        if _en_centimos(f)
    ]
    ids = [f"c{i}" for i in range(len(ledgers))]
    libro = desde_facturas(ids, ledgers)
    # The engines read the ledger as the database gives it: explicit pending amounts and
    # payments (`libro_lote.facturas_hecho`, pinned to the entities in
    # `test_recalculo_igual_al_motor`).
    de_cada = libro_lote.facturas_hecho(libro)
    figuras, historiales = figuras_lote(libro, hoy)
    for facturas, f, h in zip(de_cada, figuras, historiales, strict=True):
        assert repr(f) == repr(figuras_libro(facturas, hoy)), facturas
        assert h == resumir(compras_diarias(facturas), hoy), facturas
    # Every branch was reached.
    assert sum(f.tendencia is not None for f in figuras) > 50
    assert sum(f.tendencia is not None and f.tendencia.empeora for f in figuras) > 5
    assert sum(len(f.vencidas) > 1 for f in figuras) > 30
    assert sum(f.monto_promedio is None and f.de_cobro for f in figuras) > 5  # base ≤ 0
    assert sum(f.saldo_a_favor > 0 for f in figuras) > 50
    assert sum(h is not None and h.frecuencia > 2 for h in historiales) > 80
    # Issued after `hoy` (up to 20 days after HOY): not a purchase yet, in the figures
    # (the client's last purchase, its cadence) as in the model's history.
    futuras = sum(
        any(x.fecha_emision > hoy and not x.anulada and x.base_imponible > 0 for x in facturas)
        for facturas in de_cada
    )
    assert (futuras > 0) == (hoy < HOY + timedelta(days=20))
    assert all(d <= hoy for f in figuras for d in f.compras)


def test_un_lote_sin_facturas_y_clientes_sin_ninguna() -> None:
    vacio = desde_facturas(["a", "b"], [[], []])
    figuras, historiales = figuras_lote(vacio, HOY)
    assert historiales == [None, None]
    assert [repr(f) for f in figuras] == [repr(figuras_libro([], HOY))] * 2
    assert figuras[0].ltv == Decimal("0.00") and str(figuras[0].saldo_a_favor) == "0.00"


def test_las_facturas_sin_arrays_son_las_de_los_arrays() -> None:
    """A write's refresh builds a few clients' invoices straight from the rows
    (`facturas_de_filas`); the recompute from the arrays (`facturas_hecho`): the same,
    amountless settlements (the rest of the invoice) and undated payments included."""
    rng = random.Random(21)
    ledgers = [f for f in _cartera(rng, 400, HOY) if _en_centimos(f)]
    ids = [f"c{i}" for i in range(len(ledgers))]
    filas = filas_de_facturas(ids, ledgers)
    # Some payments become a settlement the ledger has not settled yet (amount unknown:
    # the rest), some lose their day.
    filas = [(*f[:12], f[12], 0, 1) if f[11] and rng.random() < 0.1 else f for f in filas]
    filas = [(*f[:12], 0, *f[13:]) if f[11] and rng.random() < 0.05 else f for f in filas]
    assert sum(f[14] for f in filas) > 50 and sum(f[11] and not f[12] for f in filas) > 20
    con_arrays = libro_lote.facturas_hecho(libro_lote.desde_filas(filas, ids))
    sin_arrays = libro_lote.facturas_de_filas(filas, ids)
    assert [[repr(f) for f in c] for c in sin_arrays] == [[repr(f) for f in c] for c in con_arrays]
    assert sum(len(c) for c in con_arrays) > 1000


def test_un_cliente_de_importes_enormes_lo_suman_los_motores_de_cada_cliente() -> None:
    """A hundred thousand invoices near the ledger's largest amount (NUMERIC(14, 2)) add
    up past int64: that client's figures come from the per-client engines (Decimals), its
    neighbours' from the arrays, and both are right."""
    enorme = Decimal("999999999999.99")
    dia = date(2025, 6, 1)
    grande = [
        FacturaHecho(
            f"g{i}", f"G/{i}", dia, dia, enorme, enorme, dia + timedelta(days=30), False,
            Decimal(0), Decimal(0), ((dia + timedelta(days=30), enorme),),
        )
        for i in range(100_000)
    ]  # fmt: skip
    normal = [f for f in _cartera(random.Random(31), 40, HOY) if _en_centimos(f)]
    ledgers = [*normal[:20], grande, *normal[20:]]
    ids = [f"c{i}" for i in range(len(ledgers))]
    libro = desde_facturas(ids, ledgers)
    de_cada = libro_lote.facturas_hecho(libro)
    figuras, historiales = figuras_lote(libro, HOY)
    for facturas, f, h in zip(de_cada, figuras, historiales, strict=True):
        assert repr(f) == repr(figuras_libro(facturas, HOY))
        assert h == resumir(compras_diarias(facturas), HOY)
    assert figuras[20].ltv == enorme * 100_000  # past int64 in cents
    prior = PriorPagos(0.3, 4.0, 100, 1000)
    pagos = pagos_lote.comportamiento_pago_libro(libro, HOY, prior)
    for facturas, p in zip(de_cada, pagos, strict=True):
        assert p == comportamiento_pago(facturas_de_cobro(facturas), HOY, prior)
    assert pagos[20].dias_promedio_para_pagar == 30.0
