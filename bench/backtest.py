"""Backtest of the purchase and payment models on public ledgers (contract §7–§8).

    python bench/backtest.py                      # CDNOW and IBM, writes BACKTEST.md
    python bench/backtest.py --servicio URL       # the `servicio` column from a running service
    python bench/backtest.py --sin-servicio       # offline: the engine's functions alone

CDNOW (purchases): calibration = purchases up to 1997-09-30; holdout = the next 90 and 273
days. Scorers, side by side:

- `BG/NBD ref.`: BG/NBD + Gamma-Gamma fitted here by plain maximum likelihood with the formulas
  of the `lifetimes` package (independent of the engine), churn = 1 − P(alive), value = the
  lifetimes Gamma-Gamma over repeat purchases (population mean for one-time buyers);
- `motor`: `smartbilling_crm.salud.motor.compras` through its public API;
- `reglas v1`: the §4 rules of `services/salud.py` (median cadence), as the service shipped;
- `servicio`: the figures the service answers over HTTP. By default two services of this
  checkout are started on new SQLite files, one per ledger (`servicios_propios`); with
  `--servicio URL` those running there; none with `--sin-servicio`.

IBM (payments): ledger up to 2013-06-30 (invoices issued up to then, payments known up to
then); label = the customer pays more than half of its invoices issued after the cut late.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import dataclasses
import platform
import signal
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
from scipy import optimize, special, stats  # type: ignore[import-untyped]

RAIZ = Path(__file__).resolve().parent
sys.path.insert(0, str(RAIZ.parent / "src"))

import reglas_v1 as v1  # noqa: E402  (bench/: the v1 rules, frozen as the baseline)

from smartbilling_crm.salud.motor import (  # noqa: E402
    ajuste_compras,
    cadencia,
    compras,
    modelo_compras,
    pagos,
)
from smartbilling_crm.salud.motor import hechos as motor_hechos  # noqa: E402

DATOS = RAIZ / "datos"
CDNOW = DATOS / "CDNOW_sample.txt"
IBM = DATOS / "ibm_accounts_receivable_dev.csv"
CORTE_CDNOW = date(1997, 9, 30)
CORTE_IBM = date(2013, 6, 30)
HORIZONTES = (90, 273)
DEV_API_KEY = "dev-crm-key-cambiame"
NIVELES = {"bajo": 0, "medio": 1, "alto": 2, "critico": 3}
SERVICIOS_PROPIOS = "this checkout, two services on new SQLite files (CDNOW, IBM)"


# ---------------------------------------------------------------- metrics


def auc(puntuacion: Sequence[float] | np.ndarray, etiqueta: Sequence[bool] | np.ndarray) -> float:
    """Area under the ROC curve = Mann-Whitney U ÷ (n₁·n₀); ties count one half."""
    s = np.asarray(puntuacion, dtype=float)
    y = np.asarray(etiqueta, dtype=bool)
    if y.all() or not y.any():
        return float("nan")
    u = stats.mannwhitneyu(s[y], s[~y], alternative="two-sided").statistic
    return float(u) / (int(y.sum()) * int((~y).sum()))


# ---------------------------------------------------------------- CDNOW


@dataclass
class DatosCdnow:
    ids: list[str]
    calibracion: list[list[compras.Compra]]  # daily purchases up to the cut, per customer
    sin_compra: dict[int, np.ndarray]  # horizon -> no purchase in (cut, cut + h]
    ingresos_90: np.ndarray  # actual revenue in (cut, cut + 90]
    compras_90: np.ndarray  # actual purchase days in (cut, cut + 90]
    compras_273: int  # actual purchase days in (cut, cut + 273]
    excluidos: int  # customers without a positive purchase by the cut


def cargar_cdnow(corte: date = CORTE_CDNOW) -> DatosCdnow:
    por_cliente: dict[str, dict[date, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for linea in CDNOW.read_text().splitlines():
        if not linea.strip():
            continue
        _, cliente, dia, _, valor = linea.split()
        fecha = datetime.strptime(dia, "%Y%m%d").date()
        por_cliente[cliente][fecha] += Decimal(valor)
    # A purchase has a positive value: a customer whose only calibration purchase was free
    # ($0.00, a handful in CDNOW) has no history and is left out of every scorer.
    ids = sorted(
        (c for c, d in por_cliente.items() if any(f <= corte and v > 0 for f, v in d.items())),
        key=int,
    )
    excluidos = len(por_cliente) - len(ids)
    calibracion: list[list[compras.Compra]] = []
    sin_compra = {h: np.zeros(len(ids), dtype=bool) for h in HORIZONTES}
    ingresos = np.zeros(len(ids))
    n_compras = np.zeros(len(ids))
    for i, cliente in enumerate(ids):
        dias = por_cliente[cliente]
        calibracion.append(
            [compras.Compra(f, v) for f, v in sorted(dias.items()) if f <= corte and v > 0]
        )
        for h in HORIZONTES:
            fin = corte + timedelta(days=h)
            sin_compra[h][i] = not any(corte < f <= fin and v > 0 for f, v in dias.items())
        fin90 = corte + timedelta(days=90)
        ingresos[i] = float(sum((v for f, v in dias.items() if corte < f <= fin90), Decimal(0)))
        n_compras[i] = sum(1 for f, v in dias.items() if corte < f <= fin90 and v > 0)
    compras_273 = sum(
        1
        for c in ids
        for f, v in por_cliente[c].items()
        if corte < f <= corte + timedelta(days=273) and v > 0
    )
    return DatosCdnow(ids, calibracion, sin_compra, ingresos, n_compras, compras_273, excluidos)


def cargar_cdnow_dias(ids: Sequence[str]) -> list[list[date]]:
    """Every day with a positive purchase, per customer in `ids`, calibration and holdout."""
    por_cliente: dict[str, dict[date, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for linea in CDNOW.read_text().splitlines():
        if linea.strip():
            _, cliente, dia, _, valor = linea.split()
            por_cliente[cliente][datetime.strptime(dia, "%Y%m%d").date()] += Decimal(valor)
    return [sorted(f for f, v in por_cliente[c].items() if v > 0) for c in ids]


@dataclass
class Cifras:
    """What a scorer says per customer: churn score (higher = more likely gone), revenue."""

    nombre: str
    churn: np.ndarray
    ingresos_90: np.ndarray
    compras_90: np.ndarray | None = None
    nota: str = ""


def referencia_bgnbd(historiales: list[compras.HistorialCompras]) -> Cifras:
    """BG/NBD + Gamma-Gamma as `lifetimes` fits them: plain ML, no prior, Nelder-Mead."""
    x = np.array([h.frecuencia for h in historiales], dtype=float)
    t_x = np.array([h.recencia for h in historiales], dtype=float) / 7  # weeks, as the paper
    T = np.array([h.antiguedad for h in historiales], dtype=float) / 7

    def nll(lp: np.ndarray) -> float:
        r, alpha, a, b = np.exp(lp)
        a1 = special.gammaln(r + x) - special.gammaln(r) + r * np.log(alpha)
        a2 = special.gammaln(a + b) + special.gammaln(b + x) - special.gammaln(b)
        a2 = a2 - special.gammaln(a + b + x)
        a3 = -(r + x) * np.log(alpha + T)
        a4 = np.log(a) - np.log(b + np.maximum(x, 1) - 1) - (r + x) * np.log(t_x + alpha)
        m = np.maximum(a3, a4)
        ll = a1 + a2 + np.log(np.exp(a3 - m) + np.exp(a4 - m) * (x > 0)) + m
        return float(-ll.sum())

    res = optimize.minimize(
        nll, np.zeros(4), method="Nelder-Mead", options={"maxiter": 5000, "xatol": 1e-8}
    )
    r, alpha, a, b = np.exp(res.x)
    log_div = (r + x) * np.log((alpha + T) / (alpha + t_x)) + np.log(a / (b + np.maximum(x, 1) - 1))
    vivo = np.where(x == 0, 1.0, special.expit(-log_div))

    def esperadas(t: float) -> np.ndarray:
        z = t / (alpha + T + t)
        hyp = special.hyp2f1(r + x, b + x, a + b + x - 1, z)
        primero = (a + b + x - 1) / (a - 1)
        segundo = 1 - hyp * ((alpha + T) / (alpha + t + T)) ** (r + x)
        den = 1 + (x > 0) * (a / (b + np.maximum(x, 1) - 1)) * ((alpha + T) / (alpha + t_x)) ** (
            r + x
        )
        return np.asarray(primero * segundo / den)

    # Gamma-Gamma over repeat purchases of repeat buyers (lifetimes' convention).
    rep = x > 0
    m_rep = np.array([h.valor_medio_repeticion or 0.0 for h in historiales])
    xs, ms = x[rep], m_rep[rep]

    def nll_gg(lp: np.ndarray) -> float:
        p, q, v = np.exp(lp)
        ll = (
            special.gammaln(p * xs + q)
            - special.gammaln(p * xs)
            - special.gammaln(q)
            + q * np.log(v)
            + (p * xs - 1) * np.log(ms)
            + p * xs * np.log(xs)
            - (p * xs + q) * np.log(xs * ms + v)
        )
        return float(-ll.sum())

    res_gg = optimize.minimize(
        nll_gg, np.log([1.0, 1.0, 1.0]), method="Nelder-Mead", options={"maxiter": 5000}
    )
    p, q, v = np.exp(res_gg.x)
    peso = p * x / (p * x + q - 1)
    valor = (1 - peso) * (p * v / (q - 1)) + peso * m_rep
    e90 = esperadas(90 / 7)
    nota = (
        f"r={r:.3f}, α={alpha:.3f} semanas, a={a:.3f}, b={b:.3f}; "
        f"Gamma-Gamma p={p:.2f}, q={q:.2f}, v={v:.2f}"
    )
    return Cifras("BG/NBD ref.", 1 - vivo, e90 * valor, e90, nota)


def motor_compras(historiales: list[compras.HistorialCompras], corte: date) -> Cifras:
    """The engine through its public API."""
    cartera = compras.CarteraCompras.desde_historiales(historiales)
    inicio = time.perf_counter()
    modelo = ajuste_compras.ajustar_modelo(cartera, corte)
    ajuste = time.perf_counter() - inicio
    inicio = time.perf_counter()
    s = modelo_compras.puntuar(modelo, cartera)
    puntuacion = time.perf_counter() - inicio
    bg, gg = modelo.bgnbd, modelo.gamma_gamma
    nota = (
        f"r={bg.r:.3f}, α={bg.alpha / 7:.3f} semanas, a={bg.a:.3f}, b={bg.b:.3f}; "
        f"Gamma-Gamma p={gg.p or 0:.2f}, q={gg.q or 0:.2f}, v={gg.v or 0:.2f} "
        f"(ajuste {ajuste:.2f} s, puntuación {puntuacion * 1000:.0f} ms)"
    )
    return Cifras(
        "motor", s.riesgo_perdida_score.astype(float), s.ingresos_90_dias, s.compras_90_dias, nota
    )


def reglas_v1(calibracion: list[list[compras.Compra]], corte: date) -> Cifras:
    """The §4 rules of services/salud.py (invoices were activities in v1)."""
    churn = np.zeros(len(calibracion))
    ingresos = np.zeros(len(calibracion))
    for i, lista in enumerate(calibracion):
        fechas = [c.fecha for c in lista]
        frecuencia = cadencia.frecuencia_compra(fechas)
        desde = (corte - fechas[-1]).days
        score, _ = v1.riesgo_perdida(
            dias_desde_ultima_compra=desde, frecuencia=frecuencia, dias_sin_actividad=desde
        )
        churn[i] = score
        promedio = sum((c.importe for c in lista), Decimal(0)) / len(lista)
        estado = "cliente_dormido" if desde > 60 else "cliente_activo"
        ingresos[i] = float(
            v1.ingresos_esperados(
                compras=fechas,
                frecuencia=frecuencia,
                promedio=promedio,
                estado=estado,
                oportunidades_abiertas=[],
                hoy=corte,
                dias_ventana=90,
            )
        )
    return Cifras("reglas v1", churn, ingresos)


def diagnostico_ingresos(cdnow: DatosCdnow, hs: list[compras.HistorialCompras]) -> list[str]:
    """Where the 90-day revenue gap comes from: the purchase count or the value per purchase.

    The engine's expected purchases times three conventions for the value of a purchase, all
    fitted on the calibration only: every purchase (the engine), repeat purchases only
    (lifetimes), and every purchase with the first one scaled by the portfolio's own ratio of
    repeat to first purchase value (a first order is smaller)."""
    cartera = compras.CarteraCompras.desde_historiales(hs)
    modelo = ajuste_compras.ajustar_modelo(cartera, CORTE_CDNOW)
    x = cartera.frecuencia
    c90 = modelo_compras.compras_esperadas(
        modelo.bgnbd, 90, x, cartera.recencia, cartera.antiguedad
    )
    valores = [np.array([float(c.importe) for c in lista]) for lista in cdnow.calibracion]
    repite = x > 0
    m_rep = np.array([h.valor_medio_repeticion or 0.0 for h in hs])
    gg_rep = ajuste_compras.ajustar_gamma_gamma(
        x, np.where(repite, m_rep, np.nan), fecha_ajuste=CORTE_CDNOW
    )
    primera = np.array([v[0] for v in valores])
    ratio = float(sum(v[1:].sum() for v in valores) / x.sum() / primera[repite].mean())
    ajustado = np.array([(v[0] * ratio + v[1:].sum()) / len(v) for v in valores])
    gg_aj = ajuste_compras.ajustar_gamma_gamma(x + 1, ajustado, fecha_ajuste=CORTE_CDNOW)
    convenciones = [
        (
            "every purchase (engine)",
            modelo_compras.valor_esperado_compra(modelo.gamma_gamma, x + 1, cartera.valor_medio),
        ),
        (
            "repeat purchases only (lifetimes)",
            modelo_compras.valor_esperado_compra(gg_rep, x, m_rep),
        ),
        (
            f"first purchase × {ratio:.3f} (portfolio repeat ÷ first)",
            modelo_compras.valor_esperado_compra(gg_aj, x + 1, ajustado),
        ),
    ]
    real = cdnow.ingresos_90
    total = float(real.sum())
    reales = float(cdnow.compras_90.sum())
    lineas = [
        "Where the 90-day revenue gap comes from (engine's MBG/NBD purchase count, "
        f"{c90.sum():,.0f} expected vs {reales:,.0f} actual, times the value per purchase; "
        f"actual value per purchase {total / reales:.2f} $; calibration purchases: first "
        f"{primera.mean():.2f} $, repeat {sum(v[1:].sum() for v in valores) / x.sum():.2f} $):",
        "",
        "| value per purchase | expected value per purchase ($) | total ÷ actual − 1 | "
        "per-customer MAE ($) | with the actual count, total ÷ actual − 1 |",
        "|---|---|---|---|---|",
    ]
    for nombre, valor in convenciones:
        ingresos = c90 * valor
        exacto = float((cdnow.compras_90 * valor).sum())
        lineas.append(
            f"| {nombre} | {ingresos.sum() / c90.sum():.2f} | {ingresos.sum() / total - 1:+.1%} | "
            f"{np.abs(ingresos - real).mean():.2f} | {exacto / total - 1:+.1%} |"
        )

    # The count, month by month: repeat purchases in 30-day windows against what the fitted
    # MBG/NBD expects of the same customers then (unconditional E[X(t)]).
    primeras = [lista[0].fecha for lista in cdnow.calibracion]
    todas = cargar_cdnow_dias(cdnow.ids)
    lineas += [
        "",
        "Repeat purchases (days) in 30-day windows, actual against the fitted MBG/NBD's "
        "expectation for the same customers (unconditional, so also inside the calibration):",
        "",
        "| window from | actual | MBG/NBD | actual ÷ MBG/NBD |",
        "|---|---|---|---|",
    ]
    for k in range(-6, 3):
        desde = CORTE_CDNOW + timedelta(days=1 + 30 * k)
        hasta = desde + timedelta(days=30)
        real_v, modelo_v = repeticiones_en_ventana(modelo.bgnbd, todas, primeras, desde, hasta)
        marca = " (holdout)" if desde > CORTE_CDNOW else ""
        lineas.append(f"| {desde}{marca} | {real_v} | {modelo_v:.0f} | {real_v / modelo_v:.2f} |")
    dias = (CORTE_CDNOW - min(primeras)).days
    lineas += [
        "",
        f"The calibration history spans {dias} days (every customer's first purchase was in "
        "January–March 1997), less than a year, so no seasonal index of October–December can be "
        "estimated from it: the forecast has none. Where a year of history exists, a seasonal "
        "index can be (not in the engine yet): actual ÷ MBG/NBD repeat purchases in the same 90 "
        "days a year before the cut, the model refitted at each later cut:",
        "",
        "| cut | expected 90 days | actual | error | index (a year before) | error with index |",
        "|---|---|---|---|---|---|",
    ]
    for corte in (date(1998, 1, 31), date(1998, 3, 1), date(1998, 3, 31)):
        cal = [[f for f in dias_c if f <= corte] for dias_c in todas]
        hs_c = [
            compras.resumir([compras.Compra(f, Decimal(1)) for f in lista], corte)  # counts only
            for lista in cal
        ]
        cart_c = compras.CarteraCompras.desde_historiales([h for h in hs_c if h is not None])
        bg = ajuste_compras.ajustar_bgnbd(
            cart_c.frecuencia, cart_c.recencia, cart_c.antiguedad, fecha_ajuste=corte
        )
        e90 = float(
            modelo_compras.compras_esperadas(
                bg, 90, cart_c.frecuencia, cart_c.recencia, cart_c.antiguedad
            ).sum()
        )
        real_c = sum(1 for d in todas for f in d if corte < f <= corte + timedelta(days=90))
        desde = corte - timedelta(days=364)
        hasta = desde + timedelta(days=90)
        antes, esperadas_antes = repeticiones_en_ventana(bg, todas, primeras, desde, hasta)
        indice = antes / esperadas_antes
        lineas.append(
            f"| {corte} | {e90:,.0f} | {real_c:,} | {e90 / real_c - 1:+.1%} | {indice:.3f} | "
            f"{e90 * indice / real_c - 1:+.1%} |"
        )
    return lineas


def repeticiones_en_ventana(
    bg: compras.ParametrosBGNBD,
    todas: list[list[date]],
    primeras: list[date],
    desde: date,
    hasta: date,
) -> tuple[int, float]:
    """Repeat purchases (days after each customer's first) in [desde, hasta): how many there
    were, and how many the engine's MBG/NBD `bg` expects of the same customers then."""
    reales = sum(
        1
        for dias, primera in zip(todas, primeras, strict=True)
        for f in dias
        if desde <= f < hasta and f > primera
    )
    t0 = np.array([max((desde - f).days, 0) for f in primeras], dtype=float)
    t1 = np.array([max((hasta - f).days, 0) for f in primeras], dtype=float)
    return reales, float((esperado_con(bg, t1) - esperado_con(bg, t0)).sum())


def esperado_con(bg: compras.ParametrosBGNBD, t: np.ndarray) -> np.ndarray:
    """Unconditional MBG/NBD E[X(t)]: repeat purchases of a customer t days after its first,
    b/(a−1) · [1 − (α/(α+t))^r · 2F1(r, b+1; a+b; t/(α+t))] (checked by simulation)."""
    z = t / (bg.alpha + t)
    hyp = special.hyp2f1(bg.r, bg.b + 1, bg.a + bg.b, z)
    return np.asarray(bg.b / (bg.a - 1) * (1 - (bg.alpha / (bg.alpha + t)) ** bg.r * hyp))


# ---------------------------------------------------------------- IBM


@dataclass
class DatosIbm:
    ids: list[str]
    calibracion: dict[str, list[pagos.FacturaCobro]]  # as of the cut
    tardio: np.ndarray  # label per id in `ids`
    filas: list[dict[str, str]]


def _fecha_us(texto: str) -> date:
    return datetime.strptime(texto, "%m/%d/%Y").date()


def cargar_ibm(corte: date = CORTE_IBM) -> DatosIbm:
    with IBM.open(newline="") as fichero:
        filas = list(csv.DictReader(fichero))
    calibracion: dict[str, list[pagos.FacturaCobro]] = defaultdict(list)
    despues: dict[str, list[bool]] = defaultdict(list)
    for fila in filas:
        emision = _fecha_us(fila["InvoiceDate"])
        total = Decimal(fila["InvoiceAmount"])
        if emision <= corte:
            factura = pagos.FacturaCobro(
                fecha_emision=emision,
                fecha_vencimiento=_fecha_us(fila["DueDate"]),
                total=total,
                pendiente=Decimal(0),
                cobros=(pagos.Cobro(_fecha_us(fila["SettledDate"]), total),),
                numero=fila["invoiceNumber"],
            )
            calibracion[fila["customerID"]].append(pagos.a_fecha(factura, corte))
        else:
            despues[fila["customerID"]].append(int(fila["DaysLate"]) > 0)
    ids = sorted(c for c in calibracion if despues.get(c))
    tardio = np.array([sum(despues[c]) > len(despues[c]) / 2 for c in ids])
    return DatosIbm(ids, dict(calibracion), tardio, filas)


def motor_pagos(datos: DatosIbm, corte: date) -> tuple[np.ndarray, list[str], pagos.PriorPagos]:
    prior = pagos.ajustar_prior(
        [pagos.conteo_tardias(f, corte) for f in datos.calibracion.values()]
    )
    resultado = [pagos.comportamiento_pago(datos.calibracion[c], corte, prior) for c in datos.ids]
    prob = np.array(
        [
            np.nan if r.probabilidad_pago_tardio is None else r.probabilidad_pago_tardio
            for r in resultado
        ]
    )
    return prob, [r.riesgo_impago_nivel for r in resultado], prior


def _niveles_con(
    datos: DatosIbm, corte: date, prior: pagos.PriorPagos, **umbrales: float
) -> list[str]:
    """The engine's levels with other thresholds (keywords of `pagos.nivel_riesgo`)."""
    niveles = []
    for c in datos.ids:
        r = pagos.comportamiento_pago(datos.calibracion[c], corte, prior)
        niveles.append(
            pagos.nivel_riesgo(
                r.max_dias_vencida,
                r.probabilidad_pago_tardio,
                prior.tasa,
                r.facturas_tardias,
                **umbrales,
            )
        )
    return niveles


def _regla_anterior(datos: DatosIbm, corte: date, prior: pagos.PriorPagos) -> list[str]:
    """The level rule before issue #11's fix: medio from a fixed probability of 0.3."""
    niveles = []
    for c in datos.ids:
        r = pagos.comportamiento_pago(datos.calibracion[c], corte, prior)
        p = -1.0 if r.probabilidad_pago_tardio is None else r.probabilidad_pago_tardio
        v = r.max_dias_vencida
        if (v is not None and v > 30) or p >= 0.8:
            niveles.append("critico")
        elif (v is not None and v > 15) or p >= 0.6:
            niveles.append("alto")
        elif v is not None or p >= 0.3:
            niveles.append("medio")
        else:
            niveles.append("bajo")
    return niveles


def robustez_pagos(corte_principal: date) -> list[str]:
    """Level AUC and alto + critico share with perturbed thresholds and at other cut dates."""
    lineas = [
        "Robustness of the level rule (engine, offline). Thresholds moved one at a time from "
        "medio = μ ÷ 2, alto = 0.6, critico = 0.8:",
        "",
        "| thresholds | AUC level | share alto + critico |",
        "|---|---|---|",
    ]
    datos = cargar_ibm(corte_principal)
    prior = pagos.ajustar_prior(
        [pagos.conteo_tardias(f, corte_principal) for f in datos.calibracion.values()]
    )
    y = datos.tardio

    def fila(nombre: str, niveles: list[str]) -> str:
        return (
            f"| {nombre} | {_num(auc([NIVELES[n] for n in niveles], y))} | "
            f"{np.mean([NIVELES[n] >= 2 for n in niveles]):.0%} |"
        )

    variantes: list[tuple[str, dict[str, float]]] = [
        ("as shipped", {}),
        ("medio = μ ÷ 3", {"fraccion_medio": 1 / 3}),
        ("medio = 2μ ÷ 3", {"fraccion_medio": 2 / 3}),
        ("medio = μ", {"fraccion_medio": 1.0}),
        ("alto = 0.55", {"prob_alto": 0.55}),
        ("alto = 0.65", {"prob_alto": 0.65}),
        ("critico = 0.75", {"prob_critico": 0.75}),
        ("critico = 0.85", {"prob_critico": 0.85}),
    ]
    for nombre, umbrales in variantes:
        lineas.append(fila(nombre, _niveles_con(datos, corte_principal, prior, **umbrales)))
    lineas.append(
        fila("before #11 (medio = 0.3 fixed)", _regla_anterior(datos, corte_principal, prior))
    )
    lineas += [
        "",
        "The same 50 customers cut at other dates (label: most invoices issued after that cut "
        "paid late):",
        "",
        "| cut | late payers | AUC probability | AUC level | AUC level before #11 | "
        "share alto + critico |",
        "|---|---|---|---|---|---|",
    ]
    for corte in (date(2012, 9, 30), date(2012, 12, 31), date(2013, 3, 31), corte_principal):
        d = cargar_ibm(corte)
        pr = pagos.ajustar_prior([pagos.conteo_tardias(f, corte) for f in d.calibracion.values()])
        res = [pagos.comportamiento_pago(d.calibracion[c], corte, pr) for c in d.ids]
        prob = [
            pr.tasa if r.probabilidad_pago_tardio is None else r.probabilidad_pago_tardio
            for r in res
        ]
        nuevo = [NIVELES[r.riesgo_impago_nivel] for r in res]
        antes = [NIVELES[n] for n in _regla_anterior(d, corte, pr)]
        lineas.append(
            f"| {corte} | {d.tardio.mean():.0%} | {_num(auc(prob, d.tardio))} | "
            f"{_num(auc(nuevo, d.tardio))} | {_num(auc(antes, d.tardio))} | "
            f"{np.mean([n >= 2 for n in nuevo]):.0%} |"
        )
    return lineas


def pagos_v1(datos: DatosIbm, corte: date) -> list[str]:
    niveles = []
    for c in datos.ids:
        hechos = []
        for i, f in enumerate(datos.calibracion[c]):
            pagada = f.cobros[0].fecha if f.pendiente <= 0 and f.cobros else None
            hechos.append(
                motor_hechos.FacturaHecho(
                    factura_id=str(i),
                    numero=f.numero,
                    fecha_emision=f.fecha_emision,
                    fecha_vencimiento=f.fecha_vencimiento,
                    base_imponible=f.total,
                    total=f.total,
                    fecha_pago=pagada,
                    anulada=False,
                )
            )
        niveles.append(v1.riesgo_impago(hechos, corte))
    return niveles


# ---------------------------------------------------------------- the running service


class _Servicio:
    """A running service, reached as the invoicing module would."""

    def __init__(self, url: str, api_key: str) -> None:
        import httpx

        self.http = httpx.Client(
            base_url=url.rstrip("/"), headers={"X-API-Key": api_key}, timeout=300
        )

    def crear(self, cliente_id: str, nombre: str) -> None:
        r = self.http.post(
            "/api/clientes/",
            json={
                "id": cliente_id,
                "nombre_empresa": nombre,
                "email": f"{cliente_id.lower()}@backtest.example.org",
            },
        )
        if r.status_code not in (200, 201, 409):
            raise RuntimeError(f"POST /api/clientes/ {r.status_code}: {r.text[:300]}")

    def importar(self, facturas: list[dict[str, Any]]) -> None:
        for i in range(0, len(facturas), 1000):
            r = self.http.post("/api/facturas/importar", json=facturas[i : i + 1000])
            if r.status_code != 200:
                raise RuntimeError(f"importar {r.status_code}: {r.text[:300]}")

    def recalcular(self) -> None:
        self.http.post("/api/salud/recalcular").raise_for_status()

    def salud(self, cliente_id: str) -> dict[str, Any]:
        r = self.http.get(f"/api/clientes/{cliente_id}/salud")
        r.raise_for_status()
        datos: dict[str, Any] = r.json()
        return datos


def cifras_del_servicio(
    url: str,
    cdnow: DatosCdnow,
    ibm: DatosIbm,
    *,
    url_cobros: str | None = None,
    api_key: str = DEV_API_KEY,
    prefijo: str = "bt",
    progreso: Callable[[str], None] = print,
) -> tuple[Cifras, list[str], np.ndarray]:
    """Load both histories into running services and read their health figures.

    Each ledger is a different business, so the IBM one goes to `url_cobros` when given (a
    service with its own database: its portfolio prior is then fitted on IBM's customers
    only, not on 2,349 CD buyers who all paid on the day). Dates are shifted so that each
    cut-off is today. Clients are created with POST /api/clientes/ (ids `{prefijo}cd{n}` and
    `{prefijo}ibm{id}`), the invoices backfilled with POST /api/facturas/importar in batches
    of 1000 (CDNOW: one invoice per purchase day, paid the same day; IBM: `fecha_pago` only
    where settled by the cut), then POST /api/salud/recalcular, and
    GET /api/clientes/{id}/salud per client for `riesgo_perdida_score`,
    `ingresos_esperados_90_dias`, `riesgo_impago_nivel` and `probabilidad_pago_tardio`.
    Idempotent: running it twice against the same database reuses what is there.
    """
    hoy = date.today()
    compras_srv = _Servicio(url, api_key)
    cobros_srv = _Servicio(url_cobros or url, api_key)
    crear = compras_srv.crear
    importar = compras_srv.importar
    salud = compras_srv.salud

    # CDNOW
    desplazamiento = hoy - CORTE_CDNOW
    facturas: list[dict[str, Any]] = []
    ids_cd = [f"{prefijo}cd{c}" for c in cdnow.ids]
    progreso(f"servicio: creando {len(ids_cd)} clientes CDNOW")
    for cid, lista in zip(ids_cd, cdnow.calibracion, strict=True):
        crear(cid, f"CDNOW {cid}")
        for compra in lista:
            emision = compra.fecha + desplazamiento
            importe = float(compra.importe)
            facturas.append(
                {
                    "id": f"{cid}-{compra.fecha:%Y%m%d}",
                    "numero": f"{compra.fecha:%Y%m%d}",
                    "cliente_id": cid,
                    "fecha_emision": emision.isoformat(),
                    "fecha_vencimiento": (emision + timedelta(days=30)).isoformat(),
                    "base_imponible": importe,
                    "total": importe,
                    "fecha_pago": emision.isoformat(),
                }
            )
    progreso(f"servicio: importando {len(facturas)} facturas CDNOW")
    importar(facturas)

    # IBM
    desplazamiento = hoy - CORTE_IBM
    ids_ibm = {c: f"{prefijo}ibm{c.replace('-', '')}" for c in ibm.ids}
    for nuevo in ids_ibm.values():
        cobros_srv.crear(nuevo, f"IBM {nuevo}")
    facturas = []
    for fila in ibm.filas:
        de_ibm_id = ids_ibm.get(fila["customerID"])
        emision = _fecha_us(fila["InvoiceDate"])
        if de_ibm_id is None or emision > CORTE_IBM:
            continue
        pagada = _fecha_us(fila["SettledDate"])
        importe = float(fila["InvoiceAmount"])
        facturas.append(
            {
                "id": f"{de_ibm_id}-{fila['invoiceNumber']}",
                "numero": fila["invoiceNumber"],
                "cliente_id": de_ibm_id,
                "fecha_emision": (emision + desplazamiento).isoformat(),
                "fecha_vencimiento": (_fecha_us(fila["DueDate"]) + desplazamiento).isoformat(),
                "base_imponible": importe,
                "total": importe,
                "fecha_pago": (pagada + desplazamiento).isoformat()
                if pagada <= CORTE_IBM
                else None,
            }
        )
    progreso(f"servicio: importando {len(facturas)} facturas IBM")
    cobros_srv.importar(facturas)

    compras_srv.recalcular()
    if url_cobros:
        cobros_srv.recalcular()
    progreso("servicio: leyendo la salud de cada cliente")
    churn = np.zeros(len(ids_cd))
    ingresos = np.zeros(len(ids_cd))
    for i, cid in enumerate(ids_cd):
        s = salud(cid)
        churn[i] = float(s["riesgo_perdida_score"])
        ingresos[i] = float(s["ingresos_esperados_90_dias"])
    de_ibm = [cobros_srv.salud(ids_ibm[c]) for c in ibm.ids]
    niveles = [str(s["riesgo_impago"]) for s in de_ibm]
    # No history: null; ranked as the portfolio rate would (the middle of the pack).
    probs = np.array(
        [
            float(s["probabilidad_pago_tardio"])
            if s["probabilidad_pago_tardio"] is not None
            else np.nan
            for s in de_ibm
        ]
    )
    probs = np.where(np.isnan(probs), np.nanmean(probs), probs)
    return Cifras("servicio", churn, ingresos, None, url), niveles, probs


@contextlib.contextmanager
def servicios_propios() -> Iterator[tuple[str, str, str]]:
    """Two services of this checkout, each on a new SQLite file migrated to head: one for
    the CD shop's purchases, one for IBM's receivables (two businesses, two portfolios:
    `cifras_del_servicio`). Yields both addresses and their API key; stopped and deleted
    after."""
    import driver  # bench/: uvicorn on a free port, as `make bench` starts it

    from smartbilling_crm.kit.db import migrate

    with (
        tempfile.TemporaryDirectory(prefix="crm-backtest-") as carpeta,
        contextlib.ExitStack() as pila,
    ):
        urls = []
        for negocio in ("compras", "cobros"):
            url = f"sqlite:///{carpeta}/{negocio}.db"
            migrate(url)
            log = Path(carpeta) / f"{negocio}.log"
            app = "smartbilling_crm.main:app"
            try:
                servicio = driver.servidor(app, driver.crm_env(url), log, sesion_propia=True)
                urls.append(pila.enter_context(servicio).url)
            except RuntimeError as exc:
                # Its log goes with the temporary directory: what it said, here.
                dijo = log.read_text(errors="replace")[-3000:] if log.exists() else ""
                raise RuntimeError(
                    f"el servicio de {negocio} no arrancó ({exc}):\n{dijo}"
                ) from None
        yield urls[0], urls[1], driver.API_KEY


# ---------------------------------------------------------------- report


def _num(v: float, dec: int = 3) -> str:
    return "—" if v != v else f"{v:,.{dec}f}"


def _si_no(ok: bool) -> str:
    return "**sí**" if ok else "**no**"


def informe(
    cdnow: DatosCdnow,
    cifras: list[Cifras],
    ibm: DatosIbm,
    niveles_por_fuente: dict[str, list[str]],
    prob: np.ndarray,
    prior: pagos.PriorPagos,
    duracion: float,
    e273: float,
    probs_servicio: dict[str, np.ndarray] | None = None,
    diagnostico: Sequence[str] = (),
    robustez: Sequence[str] = (),
) -> str:
    real_total = float(cdnow.ingresos_90.sum())
    lineas = [
        "# Backtest of the purchase and payment models",
        "",
        "Written by `python bench/backtest.py` (data and sources: `bench/datos/README.md`).",
        "",
        f"Run of {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {duracion:.1f} s, "
        f"Python {platform.python_version()}, numpy {np.__version__}.",
        "",
        f"## CDNOW: {len(cdnow.ids):,} customers, calibration to {CORTE_CDNOW}, "
        "holdout 90 and 273 days",
        "",
        f"- {cdnow.excluidos} customers whose only purchase by the cut was $0.00 are left out.",
        f"- Customers with no purchase in the next 90 days: "
        f"{cdnow.sin_compra[90].mean():.1%}; in 273 days: {cdnow.sin_compra[273].mean():.1%}.",
        f"- Actual purchases (days) in the 90-day holdout: {int(cdnow.compras_90.sum()):,}; "
        f"actual revenue: {real_total:,.2f} $.",
        "",
        "| figure | " + " | ".join(c.nombre for c in cifras) + " |",
        "|---|" + "---|" * len(cifras),
    ]
    for h in HORIZONTES:
        lineas.append(
            f"| AUC churn score → no purchase in {h} days | "
            + " | ".join(_num(auc(c.churn, cdnow.sin_compra[h])) for c in cifras)
            + " |"
        )
    lineas.append(
        "| expected purchases, 90 days (actual "
        f"{int(cdnow.compras_90.sum()):,}) | "
        + " | ".join(
            "—" if c.compras_90 is None else _num(float(c.compras_90.sum()), 0) for c in cifras
        )
        + " |"
    )
    lineas.append(
        f"| engine's expected purchases, 273 days (actual {cdnow.compras_273:,}) | "
        + " | ".join(_num(e273, 0) if c.nombre == "motor" else "—" for c in cifras)
        + " |"
    )
    lineas.append(
        f"| revenue forecast 90 days, total (actual {real_total:,.0f}) | "
        + " | ".join(_num(float(c.ingresos_90.sum()), 0) for c in cifras)
        + " |"
    )
    lineas.append(
        "| total ÷ actual − 1 | "
        + " | ".join(f"{float(c.ingresos_90.sum()) / real_total - 1:+.1%}" for c in cifras)
        + " |"
    )
    lineas.append(
        "| per-customer MAE of 90-day revenue ($) | "
        + " | ".join(
            _num(float(np.abs(c.ingresos_90 - cdnow.ingresos_90).mean()), 2) for c in cifras
        )
        + " |"
    )
    lineas.append("")
    for c in cifras:
        if c.nota:
            lineas.append(f"- {c.nombre}: {c.nota}")
    if diagnostico:
        lineas += ["", *diagnostico]

    ref = next(c for c in cifras if c.nombre == "BG/NBD ref.")
    # The goals are judged on what the product answers when it was measured (--servicio),
    # else on the engine run offline.
    mot = next((c for c in cifras if c.nombre == "servicio"), None) or next(
        c for c in cifras if c.nombre == "motor"
    )
    auc_ok = all(
        auc(mot.churn, cdnow.sin_compra[h]) >= auc(ref.churn, cdnow.sin_compra[h])
        for h in HORIZONTES
    )
    desvio = float(mot.ingresos_90.sum()) / real_total - 1
    mae_mot = float(np.abs(mot.ingresos_90 - cdnow.ingresos_90).mean())
    mae_ref = float(np.abs(ref.ingresos_90 - cdnow.ingresos_90).mean())

    # IBM
    y = ibm.tardio
    lineas += [
        "",
        f"## IBM accounts receivable: {len(ibm.ids)} customers, ledger to {CORTE_IBM}",
        "",
        f"- Label: pays more than half of its invoices issued after the cut late: "
        f"{int(y.sum())} of {len(y)} ({y.mean():.0%}).",
        f"- Portfolio prior (beta-binomial ML): late rate μ = {prior.tasa:.3f}, strength m = "
        f"{prior.fuerza:.1f} invoices, from {prior.facturas} invoices of {prior.clientes} "
        "customers.",
        "",
        "| figure | " + " | ".join(niveles_por_fuente) + " |",
        "|---|" + "---|" * len(niveles_por_fuente),
    ]
    prob_por_fuente = {"motor": prob, **(probs_servicio or {})}
    lineas.append(
        "| AUC `probabilidad_pago_tardio` | "
        + " | ".join(
            _num(auc(prob_por_fuente[k], y)) if k in prob_por_fuente else "—"
            for k in niveles_por_fuente
        )
        + " |"
    )
    lineas.append(
        "| AUC `riesgo_impago_nivel` (ordinal) | "
        + " | ".join(_num(auc([NIVELES[n] for n in v], y)) for v in niveles_por_fuente.values())
        + " |"
    )
    for nivel in NIVELES:
        lineas.append(
            f"| share `{nivel}` | "
            + " | ".join(
                f"{np.mean([n == nivel for n in v]):.0%}" for v in niveles_por_fuente.values()
            )
            + " |"
        )
    lineas.append(
        f"| share alto + critico (real late payers {y.mean():.0%}) | "
        + " | ".join(
            f"{np.mean([NIVELES[n] >= 2 for n in v]):.0%}" for v in niveles_por_fuente.values()
        )
        + " |"
    )
    if robustez:
        lineas += ["", *robustez]
    niveles_motor = niveles_por_fuente.get("servicio", niveles_por_fuente["motor"])
    auc_nivel = auc([NIVELES[n] for n in niveles_motor], y)
    cuota = float(np.mean([NIVELES[n] >= 2 for n in niveles_motor]))

    lineas += [
        "",
        "## Goals",
        "",
        f"Judged on the `{mot.nombre}` column.",
        "",
        "| goal | met |",
        "|---|---|",
        f"| churn AUC ≥ BG/NBD reference at 90 and 273 days | {_si_no(auc_ok)} |",
        f"| 90-day revenue total within ±10 % of actual ({desvio:+.1%}) | "
        f"{_si_no(abs(desvio) <= 0.10)} |",
        f"| 90-day revenue MAE ≤ BG/NBD + Gamma-Gamma ({mae_mot:.2f} vs {mae_ref:.2f}) | "
        f"{_si_no(mae_mot <= mae_ref)} |",
        f"| payment risk level AUC ≥ 0.90 ({auc_nivel:.3f}) | {_si_no(auc_nivel >= 0.90)} |",
        f"| alto + critico share within 10 points of real late payers ({cuota:.0%} vs "
        f"{y.mean():.0%}) | {_si_no(abs(cuota - float(y.mean())) <= 0.10)} |",
        "",
        "## What the numbers mean",
        "",
        lectura(
            cdnow,
            ref,
            next(c for c in cifras if c.nombre == "motor"),
            next(c for c in cifras if c.nombre == "reglas v1"),
            e273,
        ),
        "",
    ]
    return "\n".join(lineas)


def lectura(cdnow: DatosCdnow, ref: Cifras, mot: Cifras, v1: Cifras, e273: float) -> str:
    """The paragraph under the tables, with this run's figures."""
    real90 = float(cdnow.compras_90.sum())
    exceso90 = real90 / float(mot.compras_90.sum()) - 1 if mot.compras_90 is not None else 0.0
    exceso273 = cdnow.compras_273 / e273 - 1
    v1_total = float(v1.ingresos_90.sum()) / float(cdnow.ingresos_90.sum()) - 1
    return f"""\
The reference BG/NBD churn score, 1 − P(alive), ranks customers worse than chance (AUC below
0.5): in BG/NBD a customer who bought only once is alive with probability 1, and on CDNOW
those 60 % one-time buyers are precisely the ones least likely to come back. The engine fits
MBG/NBD instead (its parameters match BTYDplus' r = 0.525, α = 6.18 weeks, a = 0.891, b = 1.614
within about 2 %; the weak prior barely moves them), where a customer may leave right after its
first purchase too, and scores churn from the chance of buying again within a year (exact under
MBG/NBD): it ranks customers far better at both horizons, and a little better than the same
score under BG/NBD did (0.773 and 0.751), at the cost of a forecast 3 points shorter in total
(−18.4 % then); the v1 cadence rules rank in between. Both model-based revenue forecasts
undershoot the 90-day holdout: actual repeat purchases ran {exceso90:.0%} above the model's
expectation in October–December 1997 (Christmas; the model has no seasonality) and
{exceso273:.0%} above it over 273 days, so the ±10 % goal is missed mostly on the purchase
count. Month by month (table above) the fitted model expects as many repeat purchases as
happened, or a few more, through the calibration, while October to December brought 8–30 %
more than it expects: the gap is mostly the season, not a poor fit. The value per purchase
adds a few points (table above: repeat purchases are worth more than first ones, and the
holdout has only repeat purchases): valuing purchases from repeat purchases only, or scaling
each first purchase by the portfolio's own repeat ÷ first ratio, closes about 2 of the 21
points and no more, and both cost some per-customer MAE. Even with
every customer's actual number of purchases the engine's values would leave the total a few
points short. A seasonal index would need the same months of an earlier year, which this
history (January–September 1997) does not have; so the goal is not met, and reaching it would
take knowing the holdout. At later cuts, where a year of history exists, an index from the same
90 days a year before cut the error at two of the three cuts tried (table above); it is not in the
engine yet, and one cohort whose year-before windows fall in its own first months is thin
evidence for it. The v1 rules land closer on the total ({v1_total:+.1%}) but by
compensation: they expect nothing from one-time buyers or anyone silent for 60 days and a full
cadence from the rest, and their per-customer error is the worst of the three. The engine's
value per purchase uses every purchase, the first included (a one-time buyer's only purchase
says something about it), which lowers the per-customer error against lifetimes' repeat-only
convention.
On the IBM ledger the late-payment probability, a client's own late share shrunk toward the
portfolio rate, separates the customers who go on paying most invoices late from the rest.
The level follows it: alto from 0.6 and critico from 0.8 (three and four invoices of five
late; absolute, because the level warns of paying most invoices late), medio from half the
portfolio rate μ for a client with some late invoice (relative: not clearly better than the
portfolio), overdue amounts escalating it (15 and 30 days). Before issue #11 medio started at a
fixed 0.3, which left a late payer with a probability of 0.27 among 25 good payers in bajo;
ties inside a big level are what an ordinal score loses AUC on. The alto and critico
thresholds were first chosen on these 50 customers, and the robustness table shows what they
are worth: the medio threshold can move from μ ÷ 3 to 2μ ÷ 3 at no cost, alto at 0.6 sits in a
gap between customers and moving it by 0.05 costs up to 0.03, and at earlier cuts the new rule
ranks like the old one within 0.01. With only 50 customers, one customer moves an AUC by about
0.03 and a share by 2 points; the 50 held aside will say more."""


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--servicio",
        metavar="URL",
        help="read a running service (default: start two of this checkout on new SQLite files)",
    )
    parser.add_argument(
        "--sin-servicio", action="store_true", help="no service: the engine's functions alone"
    )
    parser.add_argument(
        "--servicio-cobros",
        metavar="URL",
        help="a second service (its own database) for the IBM receivables; default --servicio",
    )
    parser.add_argument("--api-key", help=f"of --servicio (default {DEV_API_KEY})")
    parser.add_argument("--salida", type=Path, default=RAIZ / "BACKTEST.md")
    args = parser.parse_args(argv)
    if not args.servicio and (args.servicio_cobros or args.api_key):
        parser.error("--servicio-cobros y --api-key son de --servicio (un servicio en marcha)")
    if args.servicio and args.sin_servicio:
        parser.error("--servicio y --sin-servicio se excluyen")
    inicio = time.perf_counter()

    cdnow = cargar_cdnow()
    historiales = [compras.resumir(lista, CORTE_CDNOW) for lista in cdnow.calibracion]
    hs = [h for h in historiales if h is not None]
    cifras = [
        referencia_bgnbd(hs),
        motor_compras(hs, CORTE_CDNOW),
        reglas_v1(cdnow.calibracion, CORTE_CDNOW),
    ]

    ibm = cargar_ibm()
    prob, niveles, prior = motor_pagos(ibm, CORTE_IBM)
    niveles_por_fuente: dict[str, list[str]] = {
        "motor": niveles,
        "reglas v1": pagos_v1(ibm, CORTE_IBM),
    }

    probs_servicio: dict[str, np.ndarray] | None = None
    if args.servicio or not args.sin_servicio:
        with contextlib.ExitStack() as pila:
            url, url_cobros = args.servicio, args.servicio_cobros
            api_key = args.api_key or DEV_API_KEY
            if not url:
                url, url_cobros, api_key = pila.enter_context(servicios_propios())
            servicio, niveles_servicio, probs = cifras_del_servicio(
                url, cdnow, ibm, url_cobros=url_cobros, api_key=api_key
            )
        if not args.servicio:
            servicio = dataclasses.replace(servicio, nota=SERVICIOS_PROPIOS)
        cifras.append(servicio)
        niveles_por_fuente["servicio"] = niveles_servicio
        probs_servicio = {"servicio": probs}

    modelo = ajuste_compras.ajustar_modelo(
        compras.CarteraCompras.desde_historiales(hs), CORTE_CDNOW
    )
    e273 = float(
        modelo_compras.compras_esperadas(
            modelo.bgnbd,
            273,
            [h.frecuencia for h in hs],
            [h.recencia for h in hs],
            [h.antiguedad for h in hs],
        ).sum()
    )
    texto = informe(
        cdnow,
        cifras,
        ibm,
        niveles_por_fuente,
        prob,
        prior,
        time.perf_counter() - inicio,
        e273,
        probs_servicio,
        diagnostico_ingresos(cdnow, hs),
        robustez_pagos(CORTE_IBM),
    )
    args.salida.write_text(texto, encoding="utf-8")
    print(texto)
    return 0


def _terminar(senal: int, _marco: object) -> None:
    """SIGTERM (a cancelled job) and SIGHUP (a closed terminal) unwind like Ctrl-C: the
    services started here are stopped and their temporary databases deleted
    (`servicios_propios`). Killed outright, the services still go (`driver`: they die with
    their parent); the temporary directory stays."""
    raise SystemExit(128 + senal)


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, _terminar)
    signal.signal(signal.SIGHUP, _terminar)  # the terminal closed
    try:
        raise SystemExit(main())
    except KeyboardInterrupt:
        print("Interrumpido: no se ha escrito el informe.", file=sys.stderr)
        raise SystemExit(130) from None
