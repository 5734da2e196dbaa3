"""Payment behaviour of contract §7 over a per-invoice view of the receivables ledger, pure.

Each invoice the client owes (total > 0; credit notes are never owed) comes as a
`FacturaCobro`: issue and due dates, total, what is still pending (`pendiente` = total − its
payments − credit applied to it, as the ledger keeps it) and its payments as of `hoy`
(`factura_cobro`: counted only up to the total, as the ledger applies them; what was paid
beyond it is the client's credit, not money paid on time or late).

- **Settled**: `pendiente` ≤ 0. Its settlement date is the payment that completed what was owed
  (owed = payments + pending, i.e. the total less any credit). An invoice settled by credit
  alone has no payment behaviour.
- **Overdue**: `pendiente` > 0 and due before `hoy` (due today is not overdue). Without a due
  date, the invoice is due `plazo_dias` (default 30, Ley 3/2004) after issue.
- **Late**: settled after its due date, or overdue now. **On time**: settled on or before it.
  Open invoices not yet due have no outcome yet.

Figures are over amounts (an invoice of 10,000 € weighs 100 times one of 100 €), except the
late-payment probability, which is about "the next invoice" and so counts invoices:
`probabilidad_pago_tardio` = (late + m·μ) ÷ (invoices with an outcome + m), the client's own
late share shrunk toward the portfolio rate μ with a prior worth m invoices. μ and m are the
maximum-likelihood beta-binomial fit over the portfolio (empirical Bayes, `ajustar_prior`),
m kept within [`FUERZA_MIN`, `FUERZA_MAX`]; with fewer than `MIN_CLIENTES_PRIOR` clients with
history, μ = `TASA_POR_DEFECTO` and m = `FUERZA_POR_DEFECTO`. A client with no outcome yet
gets None, never an invented figure.

`riesgo_impago_nivel`: the probability drives it, overdue amounts escalate it (a few days
past due is common, 37 % of the IBM invoices are paid late, so it alone is only medio):

- critico: an amount more than `DIAS_VENCIDA_CRITICO` days past due, or probability ≥
  `PROB_CRITICO` (four invoices of five late);
- alto: an amount more than `DIAS_VENCIDA_ALTO` days past due, or probability ≥ `PROB_ALTO`
  (three of five: most invoices late, the behaviour the level warns about);
- medio: any amount past due, or some invoice paid late and a probability at least
  `FRACCION_MEDIO` (one half) of the portfolio rate μ: not clearly better than the portfolio;
- bajo: otherwise (never late, or late less than half as often as the portfolio; also with no
  history at all).

The alto and critico thresholds are absolute (the level is about paying most invoices late,
whatever the portfolio); the medio one is relative, so a portfolio where few invoices are late
flags its worse payers sooner. `bench/BACKTEST.md` checks them on the IBM accounts-receivable
sample (with the AUC under perturbed thresholds and at other cut dates).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

import numpy as np
from scipy import optimize, special  # type: ignore[import-untyped]

from smartbilling_crm.kit.formato import dias, euros
from smartbilling_crm.salud.motor.factura_cobro import PLAZO_PAGO_DIAS as PLAZO_PAGO_DIAS
from smartbilling_crm.salud.motor.factura_cobro import Cobro as Cobro
from smartbilling_crm.salud.motor.factura_cobro import FacturaCobro as FacturaCobro
from smartbilling_crm.salud.motor.factura_cobro import a_fecha as a_fecha
from smartbilling_crm.salud.motor.factura_cobro import fecha_liquidacion as fecha_liquidacion
from smartbilling_crm.salud.motor.factura_cobro import hasta_el_total as hasta_el_total
from smartbilling_crm.salud.motor.factura_cobro import pago_tardio as pago_tardio
from smartbilling_crm.salud.motor.factura_cobro import vencimiento as vencimiento
from smartbilling_crm.salud.motor.hechos import (
    redondear,
    texto_porcentaje,
    un_decimal,
)

CENTIMO = Decimal("0.01")
CERO = Decimal(0)

# Empirical-Bayes prior of the late-payment probability.
MIN_CLIENTES_PRIOR = 5
TASA_POR_DEFECTO = 0.3
FUERZA_POR_DEFECTO = 5.0
FUERZA_MIN = 2.0
FUERZA_MAX = 50.0

# Risk level thresholds (see the module docstring and bench/BACKTEST.md).
DIAS_VENCIDA_CRITICO = 30
DIAS_VENCIDA_ALTO = 15
PROB_CRITICO = 0.8
PROB_ALTO = 0.6
FRACCION_MEDIO = 0.5  # medio from half the portfolio's late rate (with some late invoice)

DSO_VENTANA_DIAS = 90

TRAMOS = ("no_vencido", "d1_30", "d31_60", "d61_90", "mas_90")
Nivel = Literal["bajo", "medio", "alto", "critico"]


def _de_cobro(facturas: Iterable[FacturaCobro]) -> list[FacturaCobro]:
    return [f for f in facturas if f.total > 0]


def conteo_tardias(
    facturas: Iterable[FacturaCobro], hoy: date, plazo_dias: int = PLAZO_PAGO_DIAS
) -> tuple[int, int]:
    """(late invoices, invoices with an outcome): the client's evidence for the prior."""
    resultados = [pago_tardio(f, hoy, plazo_dias) for f in _de_cobro(facturas)]
    conocidos = [r for r in resultados if r is not None]
    return sum(conocidos), len(conocidos)


# ---------------------------------------------------------------- portfolio prior


@dataclass(frozen=True)
class PriorPagos:
    """Portfolio late-payment rate μ and its weight m (in invoices)."""

    tasa: float
    fuerza: float
    clientes: int
    facturas: int
    origen: Literal["ajuste", "por_defecto"] = "ajuste"


def ajustar_prior(conteos: Sequence[tuple[int, int]]) -> PriorPagos:
    """Beta-binomial maximum likelihood over (late, with outcome) per client; never raises."""
    datos = [(k, n) for k, n in conteos if n > 0]
    facturas = sum(n for _, n in datos)
    if len(datos) < MIN_CLIENTES_PRIOR:
        tasa = (sum(k for k, _ in datos) + FUERZA_POR_DEFECTO * TASA_POR_DEFECTO) / (
            facturas + FUERZA_POR_DEFECTO
        )
        return PriorPagos(tasa, FUERZA_POR_DEFECTO, len(datos), facturas, "por_defecto")
    k = np.array([d[0] for d in datos], dtype=float)
    n = np.array([d[1] for d in datos], dtype=float)
    pooled = float(k.sum() / n.sum())
    mu0 = min(max(pooled, 0.02), 0.98)

    # Clients share a few hundred (late, with outcome) pairs: each pair's beta function is
    # computed once and spread, so the sum, and the fit, are the same.
    pares, de_par = np.unique(np.stack([k, n], axis=1), axis=0, return_inverse=True)
    pk, pn, de_par = pares[:, 0], pares[:, 1], de_par.ravel()

    def objetivo(theta: np.ndarray) -> float:
        mu = float(special.expit(theta[0]))
        m = float(np.exp(theta[1]))
        a, b = mu * m, (1 - mu) * m
        valor = -float(np.sum(special.betaln(pk + a, pn - pk + b)[de_par] - special.betaln(a, b)))
        return valor if math.isfinite(valor) else 1e300

    inicio = np.array([math.log(mu0 / (1 - mu0)), math.log(10.0)])
    try:
        res = optimize.minimize(
            objetivo,
            inicio,
            method="L-BFGS-B",
            bounds=[(-6.0, 6.0), (math.log(FUERZA_MIN), math.log(FUERZA_MAX))],
        )
        mu = float(special.expit(res.x[0]))
        m = float(np.exp(res.x[1]))
    except (ValueError, ArithmeticError):
        return PriorPagos(pooled, FUERZA_POR_DEFECTO, len(datos), facturas, "por_defecto")
    if not (math.isfinite(mu) and math.isfinite(m)):
        return PriorPagos(pooled, FUERZA_POR_DEFECTO, len(datos), facturas, "por_defecto")
    return PriorPagos(mu, min(max(m, FUERZA_MIN), FUERZA_MAX), len(datos), facturas)


def probabilidad_pago_tardio(tardias: int, con_resultado: int, prior: PriorPagos) -> float | None:
    """(late + m·μ) ÷ (n + m); None when the client has no invoice with an outcome."""
    if con_resultado <= 0:
        return None
    return (tardias + prior.fuerza * prior.tasa) / (con_resultado + prior.fuerza)


# ---------------------------------------------------------------- the whole picture


@dataclass(frozen=True)
class ComportamientoPago:
    """Contract §7 payment figures of one client as of `hoy`."""

    importe_pendiente: Decimal
    importe_vencido: Decimal
    facturas_vencidas: int
    antiguedad_deuda: dict[str, Decimal]
    dso_dias: float | None
    dias_promedio_para_pagar: float | None
    dias_medios_de_retraso: float | None
    porcentaje_pagos_a_tiempo: float | None
    facturas_tardias: int
    facturas_con_resultado: int
    probabilidad_pago_tardio: float | None
    max_dias_vencida: int | None
    riesgo_impago_nivel: Nivel
    motivos: list[str] = field(default_factory=list)


def _tramo(dias_vencida: int) -> str:
    if dias_vencida <= 0:
        return "no_vencido"
    if dias_vencida <= 30:
        return "d1_30"
    if dias_vencida <= 60:
        return "d31_60"
    if dias_vencida <= 90:
        return "d61_90"
    return "mas_90"


def nivel_riesgo(
    max_dias_vencida: int | None,
    probabilidad: float | None,
    tasa_cartera: float = TASA_POR_DEFECTO,
    tardias: int = 0,
    *,
    prob_alto: float = PROB_ALTO,
    prob_critico: float = PROB_CRITICO,
    fraccion_medio: float = FRACCION_MEDIO,
) -> Nivel:
    """Level from the late-payment probability, escalated by the oldest overdue amount.

    `tasa_cartera` is the portfolio rate μ of the prior, `tardias` the client's late invoices;
    the keyword thresholds exist for the robustness check of `bench/backtest.py`."""
    p = -1.0 if probabilidad is None else probabilidad
    if (max_dias_vencida is not None and max_dias_vencida > DIAS_VENCIDA_CRITICO) or (
        p >= prob_critico
    ):
        return "critico"
    if (max_dias_vencida is not None and max_dias_vencida > DIAS_VENCIDA_ALTO) or p >= prob_alto:
        return "alto"
    if max_dias_vencida is not None or (tardias > 0 and p >= fraccion_medio * tasa_cartera):
        return "medio"
    return "bajo"


def comportamiento_pago(
    facturas: Sequence[FacturaCobro],
    hoy: date,
    prior: PriorPagos,
    plazo_dias: int = PLAZO_PAGO_DIAS,
) -> ComportamientoPago:
    """Every payment figure of contract §7 for one client."""
    cobro = [a_fecha(f, hoy) for f in _de_cobro(facturas)]

    pendiente = CERO
    vencido = CERO
    vencidas = 0
    max_vencida: int | None = None
    tramos = dict.fromkeys(TRAMOS, CERO)
    for f in cobro:
        if f.pendiente <= 0:
            continue
        pendiente += f.pendiente
        dias_vencida = (hoy - vencimiento(f, plazo_dias)).days
        tramos[_tramo(dias_vencida)] += f.pendiente
        if dias_vencida > 0:
            vencido += f.pendiente
            vencidas += 1
            max_vencida = max(max_vencida or 0, dias_vencida)

    # DSO: pending ÷ invoiced in the last 90 days (issue in (hoy − 90, hoy]) × 90.
    facturado = sum(
        (f.total for f in cobro if 0 <= (hoy - f.fecha_emision).days < DSO_VENTANA_DIAS), CERO
    )

    # Amount-weighted days to pay and days late, payment by payment, over settled invoices.
    # Sums of Decimal amounts (exact at money's scale), one exact Fraction per figure,
    # rounded half up once, like every displayed figure.
    peso = dias_pago = dias_retraso = CERO
    for f in cobro:
        if f.pendiente > 0 or not f.cobros:
            continue
        vence = vencimiento(f, plazo_dias)
        for c in f.cobros:
            if c.importe <= 0:
                continue
            peso += c.importe
            dias_pago += c.importe * max(0, (c.fecha - f.fecha_emision).days)
            dias_retraso += c.importe * max(0, (c.fecha - vence).days)

    # On-time share of the settled-or-overdue amount.
    a_tiempo = debido = CERO
    for f in cobro:
        vence = vencimiento(f, plazo_dias)
        liquidada = f.pendiente <= 0
        if not liquidada and vence >= hoy:
            continue
        pagado = sum((c.importe for c in f.cobros), CERO)
        total_debido = pagado + max(CERO, f.pendiente)
        if total_debido <= 0:
            continue
        debido += total_debido
        a_tiempo += sum((c.importe for c in f.cobros if c.fecha <= vence), CERO)

    tardias, con_resultado = conteo_tardias(cobro, hoy, plazo_dias)
    return resultado(
        Agregados(
            pendiente=pendiente,
            vencido=vencido,
            vencidas=vencidas,
            max_vencida=max_vencida,
            tramos=tramos,
            facturado=facturado,
            hay_cobro=bool(cobro),
            peso=peso,
            dias_pago=dias_pago,
            dias_retraso=dias_retraso,
            a_tiempo=a_tiempo,
            debido=debido,
            tardias=tardias,
            con_resultado=con_resultado,
        ),
        prior,
    )


@dataclass(frozen=True)
class Agregados:
    """One client's sums over its invoices and payments, from which every figure follows.

    `pendiente`, `vencido`, `tramos` and `facturado` are exact euros; the weights (`peso`,
    `dias_pago`, `dias_retraso`, `a_tiempo`, `debido`) are only ever divided by one
    another, so they may be euros or whole cents alike."""

    pendiente: Decimal
    vencido: Decimal
    vencidas: int
    max_vencida: int | None
    tramos: dict[str, Decimal]
    facturado: Decimal
    hay_cobro: bool
    peso: Decimal | int
    dias_pago: Decimal | int
    dias_retraso: Decimal | int
    a_tiempo: Decimal | int
    debido: Decimal | int
    tardias: int
    con_resultado: int


def resultado(a: Agregados, prior: PriorPagos) -> ComportamientoPago:
    """The figures, level and reasons of contract §7 from a client's sums (one client's, by
    `comportamiento_pago`, or each of a batch's, by `pagos_lote`)."""
    # DSO: pending ÷ invoiced in the last 90 days × 90.
    dso: float | None = None
    if a.facturado > 0:
        dso = un_decimal(a.pendiente * DSO_VENTANA_DIAS, a.facturado)
    elif a.pendiente == 0 and a.hay_cobro:
        dso = 0.0
    # One exact ratio per figure, rounded half up once, like every displayed figure.
    media_pago = un_decimal(a.dias_pago, a.peso) if a.peso > 0 else None
    media_retraso = un_decimal(a.dias_retraso, a.peso) if a.peso > 0 else None
    porcentaje = un_decimal(100 * min(a.a_tiempo, a.debido), a.debido) if a.debido > 0 else None

    tardias, con_resultado, vencidas = a.tardias, a.con_resultado, a.vencidas
    probabilidad = probabilidad_pago_tardio(tardias, con_resultado, prior)
    if probabilidad is not None:
        # Three decimals, half up: the level compares the figure the user sees.
        probabilidad = redondear(probabilidad, 1000) / 1000
    nivel = nivel_riesgo(a.max_vencida, probabilidad, prior.tasa, tardias)

    motivos: list[str] = []
    if vencidas:
        motivos.append(
            f"{vencidas} factura{'s' if vencidas > 1 else ''} vencida{'s' if vencidas > 1 else ''}"
            f" con {euros(a.vencido)} pendientes; la más antigua, {dias(a.max_vencida or 0)}"
            " después del vencimiento"
        )
    if nivel == "bajo" and not vencidas and porcentaje is not None:
        motivos.append(
            f"Paga bien: ninguna factura vencida y el {texto_porcentaje(porcentaje)} del importe "
            "cobrado a tiempo"
        )
    if probabilidad is not None:
        facturas_texto = "1 factura" if con_resultado == 1 else f"{con_resultado} facturas"
        motivos.append(
            f"Probabilidad de que pague tarde su próxima factura: "
            f"{redondear(probabilidad, 100)} % ({tardias} con retraso de "
            f"{facturas_texto}; la cartera, {redondear(prior.tasa, 100)} %)"
        )
    elif not a.hay_cobro:
        motivos.append("Sin facturas que cobrar: aún no hay historial de pagos")
    else:
        # No invoice is overdue, and none was settled by payments: none has fallen due yet,
        # or those that did were settled by credit notes (no payment to judge).
        motivos.append(
            "Sin historial de pagos: no ha pagado ninguna factura con cobros y no tiene "
            "ninguna vencida"
        )

    return ComportamientoPago(
        importe_pendiente=a.pendiente.quantize(CENTIMO, rounding=ROUND_HALF_UP),
        importe_vencido=a.vencido.quantize(CENTIMO, rounding=ROUND_HALF_UP),
        facturas_vencidas=vencidas,
        antiguedad_deuda={
            k: v.quantize(CENTIMO, rounding=ROUND_HALF_UP) for k, v in a.tramos.items()
        },
        dso_dias=dso,
        dias_promedio_para_pagar=media_pago,
        dias_medios_de_retraso=media_retraso,
        porcentaje_pagos_a_tiempo=porcentaje,
        facturas_tardias=tardias,
        facturas_con_resultado=con_resultado,
        probabilidad_pago_tardio=probabilidad,
        max_dias_vencida=a.max_vencida,
        riesgo_impago_nivel=nivel,
        motivos=motivos,
    )
