"""The batch payment engine (`salud.motor.pagos_lote`, numpy over a whole batch) says
exactly what the scalar engine says of each client: every figure, level and reason, on
thousands of random ledgers built to reach every branch."""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal

import pytest

from smartbilling_crm.salud.motor import pagos_lote
from smartbilling_crm.salud.motor.hechos import FacturaHecho
from smartbilling_crm.salud.motor.metricas import facturas_de_cobro
from smartbilling_crm.salud.motor.pagos import PriorPagos, comportamiento_pago

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
    ledgers = _cartera(random.Random(semilla), 1500, hoy)
    esperado = [comportamiento_pago(facturas_de_cobro(f), hoy, prior, plazo) for f in ledgers]
    obtenido = pagos_lote.comportamiento_pago_lote(ledgers, hoy, prior, plazo)
    for facturas, a, b in zip(ledgers, esperado, obtenido, strict=True):
        assert a == b, facturas
    # Every branch was reached: overdue, settled late and on time, no history.
    niveles = {r.riesgo_impago_nivel for r in esperado}
    assert niveles == {"bajo", "medio", "alto", "critico"}
    assert any(r.facturas_vencidas for r in esperado)
    assert any(r.dias_medios_de_retraso for r in esperado)
    assert any(r.probabilidad_pago_tardio is None for r in esperado)


def test_fuera_de_lo_que_cabe_en_centimos_enteros_responde_el_motor_escalar() -> None:
    """Fractions of a cent, amounts past int64's reach, and due dates at the calendar's end
    (an undated invoice of 31/12/9999 is due that very day)."""
    enorme = Decimal(10**11)
    limite = date.max - timedelta(days=3)
    ledgers = [
        [FacturaHecho("a", "A", HOY, None, Decimal("10.005"), Decimal("10.005"), None, False)],
        [FacturaHecho("b", "B", date(1, 1, 1), None, enorme, enorme, date(9000, 1, 1), False)],
        [FacturaHecho("c", "C", limite, None, Decimal(100), Decimal(100), None, False)],
        [FacturaHecho("d", "D", HOY, None, Decimal(5), Decimal(5), None, False)],
    ]
    prior = PriorPagos(0.3, 4.0, 100, 1000)
    esperado = [comportamiento_pago(facturas_de_cobro(f), date.max, prior) for f in ledgers]
    assert pagos_lote.comportamiento_pago_lote(ledgers, date.max, prior) == esperado
    assert esperado[1].importe_pendiente == Decimal("0.00")
    assert esperado[3].max_dias_vencida == (date.max - HOY).days - 30
