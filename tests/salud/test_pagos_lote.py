"""The batch payment engine (`salud.motor.pagos_lote`, numpy over a whole batch) says
exactly what the scalar engine says of each client: every figure, level and reason, on
thousands of random ledgers built to reach every branch."""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest

from smartbilling_crm.salud.motor import pagos_lote
from smartbilling_crm.salud.motor.hechos import FacturaHecho
from smartbilling_crm.salud.motor.metricas import facturas_de_cobro
from smartbilling_crm.salud.motor.pagos import PriorPagos, comportamiento_pago

from .libro_helpers import desde_facturas

HOY = date(2026, 1, 20)


def _importe(rng: random.Random, *, centimos: bool = True) -> Decimal:
    valor = Decimal(rng.choice((rng.randint(1, 90_000), rng.randint(-5000, 2_000_000)))) / 100
    return valor if centimos else valor + Decimal("0.005")


def _factura(rng: random.Random, i: int, hoy: date, *, centimos: bool = True) -> FacturaHecho:
    emision = hoy - timedelta(days=rng.randint(-20, 400))
    vence = None if rng.random() < 0.25 else emision + timedelta(days=rng.choice((0, 15, 30, 60)))
    total = _importe(rng, centimos=centimos)
    if rng.random() < 0.1:
        total = -total  # a credit note
    credito = rng.choice((Decimal(0), Decimal(0), min(abs(total), Decimal("50.00"))))
    if rng.random() < 0.3:
        # Before the ledger kept payments: paid in full on a day, or not at all.
        pago = emision + timedelta(days=rng.randint(0, 90)) if rng.random() < 0.6 else None
        return FacturaHecho(
            f"f{i}", f"F/{i}", emision, vence, total, total, pago, rng.random() < 0.05
        )
    cobros = tuple(
        # Days may repeat (ties keep their order), fall after `hoy`, amounts be ≤ 0.
        (emision + timedelta(days=rng.choice((0, 10, 10, 30, 45, 120))), _importe(rng))
        for _ in range(rng.choice((0, 1, 1, 2, 3, 4)))
    )
    pagado = sum((c for _, c in cobros), Decimal(0))
    pendiente = rng.choice((Decimal(0), total - pagado - credito, total, Decimal("-3.00")))
    return FacturaHecho(
        f"f{i}",
        f"F/{i}",
        emision,
        vence,
        total,
        total,
        cobros[-1][0] if cobros and pendiente <= 0 else None,
        rng.random() < 0.05,
        pendiente,
        credito,
        cobros,
    )


def _cartera(rng: random.Random, n: int, hoy: date) -> list[list[FacturaHecho]]:
    ledgers = []
    for _ in range(n):
        centimos = rng.random() > 0.02  # a few amounts with fractions of a cent
        ledgers.append(
            [_factura(rng, i, hoy, centimos=centimos) for i in range(rng.choice((0, 1, 3, 8, 15)))]
        )
    return ledgers


@pytest.mark.parametrize(
    ("semilla", "hoy", "prior", "plazo"),
    [
        (1, HOY, PriorPagos(0.3, 4.0, 100, 1000), 30),
        (2, HOY, PriorPagos(0.05, 50.0, 100, 1000), 30),
        (3, date(2025, 3, 31), PriorPagos(0.6, 2.0, 100, 1000), 45),
        (4, HOY, PriorPagos(0.3, 5.0, 0, 0, "por_defecto"), 0),
    ],
)
def test_el_lote_dice_lo_mismo_que_el_motor_de_cada_cliente(
    semilla: int, hoy: date, prior: PriorPagos, plazo: int
) -> None:
    """The batch as the recompute reads it (integer arrays, `libro_lote`): each client's
    figures, level and reasons equal the scalar engine's."""
    ledgers = [f for f in _cartera(random.Random(semilla), 1500, hoy) if _en_centimos(f)]
    libro = desde_facturas([f"c{i}" for i in range(len(ledgers))], ledgers)
    esperado = [comportamiento_pago(facturas_de_cobro(f), hoy, prior, plazo) for f in ledgers]
    obtenido = pagos_lote.comportamiento_pago_libro(libro, hoy, prior, plazo)
    for facturas, a, b in zip(ledgers, esperado, obtenido, strict=True):
        assert a == b, facturas
    assert libro.facturas > 5000 and len(libro.cobro_dia) > 5000
    # Every branch was reached: overdue, settled late and on time, no history.
    niveles = {r.riesgo_impago_nivel for r in esperado}
    assert niveles == {"bajo", "medio", "alto", "critico"}
    assert any(r.facturas_vencidas for r in esperado)
    assert any(r.dias_medios_de_retraso for r in esperado)
    assert any(r.probabilidad_pago_tardio is None for r in esperado)


def _lote(ledgers: list[list[FacturaHecho]], hoy: date, prior: PriorPagos) -> list[Any]:
    libro = desde_facturas([f"c{i}" for i in range(len(ledgers))], ledgers)
    return pagos_lote.comportamiento_pago_libro(libro, hoy, prior)


def test_un_sobrepago_cuenta_solo_hasta_el_total_de_la_factura() -> None:
    """QA's case, as the ledger stores it: 1.210 € issued 01/10/2025, due 31/10; 300 €
    paid 20/10 (on time), 2.000 € paid 30/11 (late), settled that day, 1.090 € of credit.
    Next to it, an invoice paid once on time and then paid again late by mistake."""
    sobrepagada = FacturaHecho(
        "f1", "2025/0001", date(2025, 10, 1), date(2025, 10, 31), Decimal("1000"),
        Decimal("1210"), date(2025, 11, 30), False, Decimal(0), Decimal(0),
        ((date(2025, 10, 20), Decimal("300")), (date(2025, 11, 30), Decimal("2000"))),
    )  # fmt: skip
    duplicada = FacturaHecho(
        "f2", "2025/0002", date(2025, 10, 1), date(2025, 10, 31), Decimal("1000"),
        Decimal("1210"), date(2025, 10, 20), False, Decimal(0), Decimal(0),
        ((date(2025, 10, 20), Decimal("1210")), (date(2025, 12, 5), Decimal("1210"))),
    )  # fmt: skip
    prior = PriorPagos(0.3, 5.0, 0, 0, "por_defecto")
    uno, otro = _lote([[sobrepagada], [duplicada]], HOY, prior)
    # 300 ÷ 1.210 (not 300 ÷ 2.300 = 13,0); (300 × 19 + 910 × 60) ÷ 1.210 days.
    assert uno.porcentaje_pagos_a_tiempo == 24.8
    assert (uno.dias_promedio_para_pagar, uno.dias_medios_de_retraso) == (49.8, 22.6)
    assert (uno.facturas_tardias, uno.facturas_con_resultado) == (1, 1)
    # Settled on time on 20/10, as the ledger says (`fecha_pago`): not late.
    assert otro.porcentaje_pagos_a_tiempo == 100.0
    assert (otro.dias_promedio_para_pagar, otro.facturas_tardias) == (19.0, 0)
    for facturas, lote in (([sobrepagada], uno), ([duplicada], otro)):
        assert comportamiento_pago(facturas_de_cobro(facturas), HOY, prior) == lote
    # As of 15/11, before the 2.000 € arrived, the invoice owed 910 €.
    (antes,) = _lote([[sobrepagada]], date(2025, 11, 15), prior)
    assert antes.importe_vencido == Decimal("910.00")


def _en_centimos(facturas: list[FacturaHecho]) -> bool:
    importes = [
        i
        for f in facturas
        for i in (f.base_imponible, f.total, f.pendiente or 0, f.credito_aplicado)
    ] + [i for f in facturas for _, i in (f.cobros or ())]
    return all(i == round(i, 2) for i in importes)


def test_leido_en_enteros_lo_que_no_cabe_en_int64_responde_el_motor_escalar() -> None:
    """A client whose amounts add up past ten billion euros (its amount × days would
    overflow int64), next to ordinary ones and an invoice due at the calendar's end."""
    enorme = Decimal(10**11)
    limite = date.max - timedelta(days=3)
    ledgers = [
        [FacturaHecho("b", "B", date(1, 1, 1), None, enorme, enorme, date(9000, 1, 1), False)],
        [FacturaHecho("c", "C", limite, None, Decimal(100), Decimal(100), None, False)],
        [FacturaHecho("d", "D", HOY, None, Decimal(5), Decimal(5), None, False)],
        [],
    ]
    prior = PriorPagos(0.3, 4.0, 100, 1000)
    libro = desde_facturas(["b", "c", "d", "e"], ledgers)
    esperado = [comportamiento_pago(facturas_de_cobro(f), date.max, prior) for f in ledgers]
    assert pagos_lote.comportamiento_pago_libro(libro, date.max, prior) == esperado
    assert esperado[0].importe_vencido == Decimal("0.00")  # paid in 9000, by date.max
    assert esperado[2].max_dias_vencida == (date.max - HOY).days - 30
