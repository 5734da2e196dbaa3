"""The payment engine's weighted figures, summed in Decimal and divided once, equal the
exact Fraction arithmetic they replaced, on thousands of random ledgers."""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

from smartbilling_crm.salud.motor import pagos as p

HOY = date(2026, 1, 20)
PRIOR = p.PriorPagos(tasa=0.3, fuerza=4.0, clientes=100, facturas=1000)


def _referencia(facturas: list[p.FacturaCobro]) -> tuple[object, object, object]:
    """The previous implementation: every amount a Fraction, accumulated exactly."""
    cobro = [p.a_fecha(f, HOY) for f in facturas if f.total > 0]
    peso = dias_pago = dias_retraso = Fraction(0)
    for f in cobro:
        if f.pendiente > 0 or not f.cobros:
            continue
        vence = p.vencimiento(f)
        for c in f.cobros:
            if c.importe <= 0:
                continue
            importe = Fraction(c.importe)
            peso += importe
            dias_pago += importe * max(0, (c.fecha - f.fecha_emision).days)
            dias_retraso += importe * max(0, (c.fecha - vence).days)
    a_tiempo = debido = Fraction(0)
    for f in cobro:
        vence = p.vencimiento(f)
        if f.pendiente > 0 and vence >= HOY:
            continue
        pagado = sum((Fraction(c.importe) for c in f.cobros), Fraction(0))
        total_debido = pagado + max(Fraction(0), Fraction(f.pendiente))
        if total_debido <= 0:
            continue
        debido += total_debido
        a_tiempo += sum((Fraction(c.importe) for c in f.cobros if c.fecha <= vence), Fraction(0))
    return (
        p.un_decimal(dias_pago / peso) if peso > 0 else None,
        p.un_decimal(dias_retraso / peso) if peso > 0 else None,
        p.un_decimal(100 * min(a_tiempo, debido) / debido) if debido > 0 else None,
    )


def _importe(rng: random.Random) -> Decimal:
    return Decimal(rng.randint(-5000, 900_000)) / 100


def _libro(rng: random.Random) -> list[p.FacturaCobro]:
    facturas = []
    for _ in range(rng.randint(0, 12)):
        emision = HOY - timedelta(days=rng.randint(0, 400))
        vence = None if rng.random() < 0.2 else emision + timedelta(days=rng.choice((0, 15, 30)))
        total = _importe(rng)
        cobros = tuple(
            p.Cobro(emision + timedelta(days=rng.randint(0, 120)), _importe(rng))
            for _ in range(rng.choice((0, 1, 1, 2, 3)))
        )
        pendiente = rng.choice((Decimal(0), total - sum((c.importe for c in cobros), Decimal(0))))
        facturas.append(p.FacturaCobro(emision, vence, total, pendiente, cobros))
    return facturas


def test_las_cifras_ponderadas_son_las_de_la_aritmetica_exacta() -> None:
    rng = random.Random(14)
    for _ in range(3000):
        facturas = _libro(rng)
        r = p.comportamiento_pago(facturas, HOY, PRIOR)
        assert (
            r.dias_promedio_para_pagar,
            r.dias_medios_de_retraso,
            r.porcentaje_pagos_a_tiempo,
        ) == _referencia(facturas)
