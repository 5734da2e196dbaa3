"""Payment behaviour (contract §7) at fixed dates, without a database."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from smartbilling_crm.salud.motor import pagos as p

HOY = date(2026, 12, 15)
D = Decimal


def hace(n: int) -> date:
    return HOY - timedelta(days=n)


def pagada(emitida: int, pagada_hace: int, total: str = "1000", plazo: int = 30) -> p.FacturaCobro:
    """Issued `emitida` days ago, due `plazo` days later, paid in full `pagada_hace` days ago."""
    return p.FacturaCobro(
        fecha_emision=hace(emitida),
        fecha_vencimiento=hace(emitida) + timedelta(days=plazo),
        total=D(total),
        pendiente=D(0),
        cobros=(p.Cobro(hace(pagada_hace), D(total)),),
    )


def abierta(emitida: int, total: str = "1000", pendiente: str | None = None) -> p.FacturaCobro:
    return p.FacturaCobro(
        fecha_emision=hace(emitida),
        fecha_vencimiento=hace(emitida) + timedelta(days=30),
        total=D(total),
        pendiente=D(pendiente if pendiente is not None else total),
    )


PRIOR = p.PriorPagos(tasa=0.3, fuerza=4.0, clientes=100, facturas=1000)


def test_no_history_is_none_never_an_invented_100() -> None:
    vacio = p.comportamiento_pago([], HOY, PRIOR)
    assert vacio.probabilidad_pago_tardio is None
    assert vacio.porcentaje_pagos_a_tiempo is None
    assert vacio.dias_promedio_para_pagar is None and vacio.dias_medios_de_retraso is None
    assert vacio.dso_dias is None
    assert vacio.riesgo_impago_nivel == "bajo"
    assert vacio.antiguedad_deuda == dict.fromkeys(p.TRAMOS, D("0.00"))

    # One invoice, not yet due: still no payment history.
    nueva = p.comportamiento_pago([abierta(10)], HOY, PRIOR)
    assert nueva.probabilidad_pago_tardio is None and nueva.porcentaje_pagos_a_tiempo is None
    assert nueva.importe_pendiente == D("1000.00") and nueva.importe_vencido == D("0.00")
    assert nueva.antiguedad_deuda["no_vencido"] == D("1000.00")


def test_amount_weighted_days_and_on_time_share() -> None:
    facturas = [
        pagada(100, 80, "1000"),  # 20 days to pay, on time
        pagada(100, 40, "3000"),  # 60 days to pay, 30 days late
    ]
    r = p.comportamiento_pago(facturas, HOY, PRIOR)
    assert r.dias_promedio_para_pagar == pytest.approx((1000 * 20 + 3000 * 60) / 4000, abs=0.05)
    assert r.dias_medios_de_retraso == pytest.approx(3000 * 30 / 4000, abs=0.05)
    assert r.porcentaje_pagos_a_tiempo == 25.0
    assert (r.facturas_tardias, r.facturas_con_resultado) == (1, 2)


def test_probability_is_shrunk_toward_the_portfolio() -> None:
    una_tarde = p.comportamiento_pago([pagada(100, 40)], HOY, PRIOR)
    # (1 + 4 × 0.3) ÷ (1 + 4) = 0.44: one late invoice is not a 100 % late payer.
    assert una_tarde.probabilidad_pago_tardio == pytest.approx(0.44)
    muchas = p.comportamiento_pago(
        [pagada(400 - 30 * k, 330 - 30 * k) for k in range(10)], HOY, PRIOR
    )
    assert muchas.probabilidad_pago_tardio == pytest.approx((10 + 1.2) / 14, abs=1e-3)
    puntual = p.comportamiento_pago(
        [pagada(400 - 30 * k, 390 - 30 * k) for k in range(10)], HOY, PRIOR
    )
    assert puntual.probabilidad_pago_tardio == pytest.approx(1.2 / 14, abs=1e-3)
    assert puntual.riesgo_impago_nivel == "bajo"
    assert muchas.riesgo_impago_nivel == "critico"


def test_aging_buckets_dso_and_overdue_use_pending_not_total() -> None:
    facturas = [
        abierta(20, "100"),  # due in 10 days
        abierta(40, "200", pendiente="150"),  # 10 days past due, 50 paid
        abierta(75, "300"),  # 45 days past due
        abierta(110, "400"),  # 80 days past due
        abierta(200, "500"),  # 170 days past due
    ]
    r = p.comportamiento_pago(facturas, HOY, PRIOR)
    assert r.antiguedad_deuda == {
        "no_vencido": D("100.00"),
        "d1_30": D("150.00"),
        "d31_60": D("300.00"),
        "d61_90": D("400.00"),
        "mas_90": D("500.00"),
    }
    assert r.importe_pendiente == D("1450.00")
    assert r.importe_vencido == D("1350.00") and r.facturas_vencidas == 4
    # Invoiced in the last 90 days: 100 + 200 + 300 = 600 → 1450 ÷ 600 × 90.
    assert r.dso_dias == pytest.approx(217.5)
    assert r.max_dias_vencida == 170
    assert r.riesgo_impago_nivel == "critico"


def test_levels_from_overdue_days() -> None:
    historia = [pagada(400 - 30 * k, 390 - 30 * k) for k in range(10)]  # always on time
    assert (
        p.comportamiento_pago([*historia, abierta(35)], HOY, PRIOR).riesgo_impago_nivel == "medio"
    )
    assert p.comportamiento_pago([*historia, abierta(50)], HOY, PRIOR).riesgo_impago_nivel == "alto"
    assert (
        p.comportamiento_pago([*historia, abierta(61)], HOY, PRIOR).riesgo_impago_nivel == "critico"
    )
    # Due today is not overdue.
    assert p.comportamiento_pago([*historia, abierta(30)], HOY, PRIOR).facturas_vencidas == 0


def test_partial_payments_prepayment_and_settlement_date() -> None:
    factura = p.FacturaCobro(
        fecha_emision=hace(60),
        fecha_vencimiento=hace(30),
        total=D("1000"),
        pendiente=D("0"),
        cobros=(p.Cobro(hace(50), D("600")), p.Cobro(hace(20), D("400"))),
    )
    assert p.fecha_liquidacion(factura) == hace(20)
    assert p.pago_tardio(factura, HOY) is True
    r = p.comportamiento_pago([factura], HOY, PRIOR)
    assert r.porcentaje_pagos_a_tiempo == 60.0
    # A prepayment counts 0 days.
    antes = p.FacturaCobro(hace(10), None, D("100"), D("0"), (p.Cobro(hace(12), D("100")),))
    assert p.comportamiento_pago([antes], HOY, PRIOR).dias_promedio_para_pagar == 0.0
    # Payments after "today" are undone.
    assert p.a_fecha(factura, hace(30)).pendiente == D("400")


def test_no_due_date_means_thirty_days() -> None:
    sin = p.FacturaCobro(hace(31), None, D("100"), D("100"))
    assert p.vencimiento(sin) == hace(1)
    assert p.comportamiento_pago([sin], HOY, PRIOR).facturas_vencidas == 1


def test_credit_notes_and_credit_settled_invoices_owe_nothing() -> None:
    abono = p.FacturaCobro(hace(5), None, D("-100"), D("0"))
    por_abono = p.FacturaCobro(hace(60), hace(30), D("100"), D("0"))  # settled by credit
    r = p.comportamiento_pago([abono, por_abono], HOY, PRIOR)
    assert r.probabilidad_pago_tardio is None and r.importe_pendiente == 0


def test_portfolio_prior_fits_and_falls_back() -> None:
    assert p.ajustar_prior([]).origen == "por_defecto"
    pocos = p.ajustar_prior([(1, 2), (0, 3)])
    assert pocos.origen == "por_defecto" and 0 < pocos.tasa < 1
    conteos = [(k % 4, 3) for k in range(40)] + [(9, 10)] * 5
    prior = p.ajustar_prior(conteos)
    assert prior.origen == "ajuste"
    assert p.FUERZA_MIN <= prior.fuerza <= p.FUERZA_MAX
    tasa = sum(k for k, _ in conteos) / sum(n for _, n in conteos)
    assert prior.tasa == pytest.approx(tasa, abs=0.1)


def test_level_from_the_probability_relative_to_the_portfolio() -> None:
    # medio from half the portfolio rate (with some late invoice), alto from 0,6, critico 0,8.
    assert p.nivel_riesgo(None, 0.149, 0.3, tardias=2) == "bajo"
    assert p.nivel_riesgo(None, 0.15, 0.3, tardias=2) == "medio"
    assert p.nivel_riesgo(None, 0.2, 0.5, tardias=2) == "bajo"  # a worse portfolio: 0,25
    assert p.nivel_riesgo(None, 0.2, 0.3, tardias=0) == "bajo"  # never late: no evidence
    assert p.nivel_riesgo(None, 0.599, 0.3, tardias=9) == "medio"
    assert p.nivel_riesgo(None, 0.6, 0.3, tardias=9) == "alto"
    assert p.nivel_riesgo(None, 0.8, 0.3, tardias=9) == "critico"
    assert p.nivel_riesgo(None, None, 0.3) == "bajo"
    assert p.nivel_riesgo(1, 0.05, 0.3, tardias=1) == "medio"  # overdue escalates
    # 2 late of 10 with the prior above: (2 + 1,2) ÷ 14 = 0,229 ≥ 0,15 → medio.
    historia = [pagada(400 - 30 * k, 390 - 30 * k) for k in range(8)]
    historia += [pagada(160, 100), pagada(130, 70)]
    r = p.comportamiento_pago(historia, HOY, PRIOR)
    assert (r.probabilidad_pago_tardio, r.riesgo_impago_nivel) == (0.229, "medio")
    # 1 late of 20: (1 + 1,2) ÷ 24 = 0,092 < 0,15 → bajo.
    historia = [pagada(700 - 30 * k, 690 - 30 * k) for k in range(19)] + [pagada(130, 70)]
    r = p.comportamiento_pago(historia, HOY, PRIOR)
    assert (r.probabilidad_pago_tardio, r.riesgo_impago_nivel) == (0.092, "bajo")


# QA's case: an invoice of 1.210 € issued 01/10/2025, due 31/10/2025; 300 € paid on time
# (20/10, 19 days after issue), then 2.000 € late (30/11, 60 days, 30 days late). The ledger
# settles the invoice with the 2.000 € (300 + 910) and keeps 1.090 € as credit balance.
SOBREPAGADA = p.FacturaCobro(
    fecha_emision=date(2025, 10, 1),
    fecha_vencimiento=date(2025, 10, 31),
    total=D("1210"),
    pendiente=D("0"),
    cobros=(p.Cobro(date(2025, 11, 30), D("2000")), p.Cobro(date(2025, 10, 20), D("300"))),
)


def test_an_overpayment_counts_only_up_to_the_invoice_total() -> None:
    r = p.comportamiento_pago([SOBREPAGADA], date(2026, 1, 20), PRIOR)
    # 300 ÷ 1.210, not 300 ÷ 2.300 (13,0): the 1.090 € beyond the total were not paid late.
    assert r.porcentaje_pagos_a_tiempo == 24.8
    # (300 × 19 + 910 × 60) ÷ 1.210 = 49,83, not (300 × 19 + 2.000 × 60) ÷ 2.300 = 54,7.
    assert r.dias_promedio_para_pagar == 49.8
    # 910 × 30 ÷ 1.210 = 22,56, not 2.000 × 30 ÷ 2.300 = 26,1.
    assert r.dias_medios_de_retraso == 22.6
    assert (r.facturas_tardias, r.facturas_con_resultado) == (1, 1)
    assert r.importe_pendiente == D("0.00")


def test_a_payment_after_the_invoice_was_settled_does_not_make_it_late() -> None:
    """Paid in full on time, then paid again (a duplicate transfer) late: the ledger settled
    it on time (the payment that completed its total) and the second payment is credit."""
    duplicada = p.FacturaCobro(
        fecha_emision=date(2025, 10, 1),
        fecha_vencimiento=date(2025, 10, 31),
        total=D("1210"),
        pendiente=D("0"),
        cobros=(p.Cobro(date(2025, 10, 20), D("1210")), p.Cobro(date(2025, 12, 5), D("1210"))),
    )
    r = p.comportamiento_pago([duplicada], date(2026, 1, 20), PRIOR)
    assert r.porcentaje_pagos_a_tiempo == 100.0
    assert (r.dias_promedio_para_pagar, r.dias_medios_de_retraso) == (19.0, 0.0)
    assert (r.facturas_tardias, r.facturas_con_resultado) == (0, 1)
    # As it stood before the overpayment arrived, the invoice owed what it owes after it:
    # 910 €, not the 2.000 € paid on 30/11.
    antes = p.comportamiento_pago([SOBREPAGADA], date(2025, 11, 15), PRIOR)
    assert antes.importe_pendiente == antes.importe_vencido == D("910.00")


def test_el_prior_agrupado_es_el_de_cada_cliente() -> None:
    """The prior's fit computes each (late, with outcome) pair's beta function once and
    spreads it: its objective is the per-client sum (written out here), so the fit is the
    same one, on data whose pairs repeat and differ in their late share."""
    import math

    import numpy as np
    from scipy import optimize, special

    rng = np.random.default_rng(3)
    n = rng.integers(1, 13, 4000)
    k = rng.binomial(n, np.where(n > 6, 0.7, 0.1))  # who has many invoices pays late
    conteos = list(zip(k.tolist(), n.tolist(), strict=True))
    prior = p.ajustar_prior(conteos)
    assert prior.origen == "ajuste"

    def objetivo(theta: np.ndarray) -> float:
        mu, fuerza = float(special.expit(theta[0])), float(np.exp(theta[1]))
        a, b = mu * fuerza, (1 - mu) * fuerza
        return -float(np.sum(special.betaln(k + a, n - k + b) - special.betaln(a, b)))

    mu0 = min(max(float(k.sum() / n.sum()), 0.02), 0.98)
    res = optimize.minimize(
        objetivo,
        np.array([math.log(mu0 / (1 - mu0)), math.log(10.0)]),
        method="L-BFGS-B",
        bounds=[(-6.0, 6.0), (math.log(p.FUERZA_MIN), math.log(p.FUERZA_MAX))],
    )
    assert prior.tasa == pytest.approx(float(special.expit(res.x[0])), rel=1e-6)
    assert prior.fuerza == pytest.approx(float(np.exp(res.x[1])), rel=1e-6)
