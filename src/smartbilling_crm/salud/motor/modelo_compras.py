"""The purchase model's predictions (MBG/NBD + Gamma-Gamma) over numpy arrays; its fit
over the portfolio is `ajuste_compras`.

The vocabulary, the facts it reads and the choices behind each figure are in `compras`.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import special  # type: ignore[import-untyped]

from smartbilling_crm.salud.motor.ajuste_compras import ajustar_modelo
from smartbilling_crm.salud.motor.compras import (
    CENTIMO,
    HORIZONTE_ACTIVO_DIAS,
    PESO_MEDIA_CARTERA,
    PROBABILIDAD_MINIMA_FECHA,
    CarteraCompras,
    HistorialCompras,
    ModeloCompras,
    ParametrosBGNBD,
    ParametrosGammaGamma,
    Vector,
)

# ---------------------------------------------------------------- predictions


def probabilidad_vivo(
    params: ParametrosBGNBD, frecuencia: ArrayLike, recencia: ArrayLike, antiguedad: ArrayLike
) -> Vector:
    """MBG/NBD P(alive | x, t_x, T) = 1 / (1 + a/(b+x) · ((α+T)/(α+t_x))^(r+x)): below 1
    for a one-time buyer too, the lower the longer ago it bought (BG/NBD's was 1 there)."""
    x = np.asarray(frecuencia, dtype=float)
    t_x = np.asarray(recencia, dtype=float)
    T = np.asarray(antiguedad, dtype=float)
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    log_odds = (r + x) * np.log((alpha + T) / (alpha + t_x)) + np.log(a / (b + x))
    return np.asarray(special.expit(-log_odds), dtype=float)


def _log_hyp2f1(a_: Vector, b_: Vector, c_: Vector, z: Vector) -> Vector:
    """log 2F1 with Euler's transformation where the direct series overflows (computed
    there only: each hyp2f1 over a batch is a few percent of `recalcular`)."""
    with np.errstate(all="ignore"):
        resultado = np.asarray(np.log(special.hyp2f1(a_, b_, c_, z)), dtype=float)
        falla = ~np.isfinite(resultado)
        if falla.any():
            a_, b_, c_, z = np.broadcast_arrays(a_, b_, c_, z)
            a_, b_, c_, z = a_[falla], b_[falla], c_[falla], z[falla]
            resultado[falla] = np.log(special.hyp2f1(c_ - a_, c_ - b_, c_, z)) + (
                c_ - a_ - b_
            ) * np.log1p(-z)
    return resultado


def _pares_distintos(x: Vector, y: Vector) -> tuple[Vector, Vector, NDArray[np.intp]]:
    """The distinct pairs of two 1-d arrays, and each element's pair (x == ux[cada])."""
    orden = np.lexsort((y, x))
    xo, yo = x[orden], y[orden]
    nuevo = np.ones(xo.size, dtype=bool)
    nuevo[1:] = (xo[1:] != xo[:-1]) | (yo[1:] != yo[:-1])
    cada = np.empty(xo.size, dtype=np.intp)
    cada[orden] = np.cumsum(nuevo) - 1
    return xo[nuevo], yo[nuevo], cada


def _esperadas_con_a(
    r: float, alpha: float, a: float, b: float, t: float, x: Vector, t_x: Vector, T: Vector
) -> Vector:
    # hyp2f1 depends on (x, T) alone, and scipy's takes up to ~30 µs a value where r
    # and b are large (a portfolio of very regular buyers): each distinct pair once.
    xs, Ts = np.broadcast_arrays(x, T)
    ux, uT, cada = _pares_distintos(xs.ravel(), Ts.ravel())
    log_hyp = _log_hyp2f1(r + ux, b + ux + 1, a + b + ux, t / (alpha + uT + t))
    log_hyp = log_hyp[cada].reshape(xs.shape)
    with np.errstate(all="ignore"):
        primero = (a + b + x) / (a - 1)
        segundo = -np.expm1(log_hyp + (r + x) * np.log((alpha + T) / (alpha + T + t)))
        denominador = 1 + (a / (b + x)) * ((alpha + T) / (alpha + t_x)) ** (r + x)
        return np.asarray(primero * segundo / denominador, dtype=float)


def compras_esperadas(
    params: ParametrosBGNBD,
    dias: float,
    frecuencia: ArrayLike,
    recencia: ArrayLike,
    antiguedad: ArrayLike,
) -> Vector:
    """E[purchases in the next `dias` days | history] under MBG/NBD: (a+b+x)/(a−1) ·
    [1 − ((α+T)/(α+T+t))^(r+x) · 2F1(r+x, b+x+1; a+b+x; t/(α+T+t))] · P(alive)."""
    x = np.asarray(frecuencia, dtype=float)
    t_x = np.asarray(recencia, dtype=float)
    T = np.asarray(antiguedad, dtype=float)
    if dias <= 0:
        return np.zeros(x.shape)
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    if abs(a - 1) < 1e-2:
        # The closed form is 0/0 at a = 1; it is smooth in a, so average both sides.
        valor = 0.5 * (
            _esperadas_con_a(r, alpha, 1 - 1e-2, b, dias, x, t_x, T)
            + _esperadas_con_a(r, alpha, 1 + 1e-2, b, dias, x, t_x, T)
        )
    else:
        valor = _esperadas_con_a(r, alpha, a, b, dias, x, t_x, T)
    # Where the hypergeometric function still fails: alive × posterior rate × days, which
    # ignores later dropout and so bounds the exact value from above.
    cota = probabilidad_vivo(params, x, t_x, T) * (r + x) / (alpha + T) * dias
    valor = np.where(np.isfinite(valor) & (valor >= 0), np.minimum(valor, cota), cota)
    return np.asarray(valor, dtype=float)


def probabilidad_compra(
    params: ParametrosBGNBD,
    dias: float,
    frecuencia: ArrayLike,
    recencia: ArrayLike,
    antiguedad: ArrayLike,
) -> Vector:
    """P(at least one purchase in the next `dias` days | history), exact under MBG/NBD.

    Alive, a client can only leave after a purchase, so no purchase in the window means
    no Poisson event: P = P(alive) × (1 − ((α+T)/(α+T+dias))^(r+x)).
    """
    x = np.asarray(frecuencia, dtype=float)
    T = np.asarray(antiguedad, dtype=float)
    vivo = probabilidad_vivo(params, x, recencia, T)
    ninguna = ((params.alpha + T) / (params.alpha + T + max(dias, 0.0))) ** (params.r + x)
    return np.asarray(vivo * (1 - ninguna), dtype=float)


def valor_esperado_compra(
    gamma_gamma: ParametrosGammaGamma, compras: ArrayLike, valor_medio: ArrayLike
) -> Vector:
    """Expected value of a future purchase: the client's mean shrunk toward the portfolio's.

    Gamma-Gamma (note 025, eq. 5) with `compras` purchases behind `valor_medio`; the fallback
    weighs the portfolio mean as PESO_MEDIA_CARTERA purchases.
    """
    n = np.asarray(compras, dtype=float)
    m = np.asarray(valor_medio, dtype=float)
    m = np.where(np.isfinite(m) & (m > 0), m, 0.0)
    n = np.where(m > 0, np.maximum(n, 0.0), 0.0)
    gg = gamma_gamma
    if gg.p is not None and gg.q is not None and gg.v is not None:
        media = gg.p * gg.v / (gg.q - 1)
        peso = gg.p * n / (gg.p * n + gg.q - 1)
    elif gg.media_cartera > 0:
        media = gg.media_cartera
        peso = n / (n + PESO_MEDIA_CARTERA)
    else:
        # Nothing known about the portfolio (no recompute yet): the client's own mean.
        return np.asarray(m, dtype=float)
    return np.asarray((1 - peso) * media + peso * m, dtype=float)


@dataclass(frozen=True)
class Puntuaciones:
    """The model's figures for every client of a CarteraCompras (parallel arrays)."""

    probabilidad_vivo: Vector
    probabilidad_activo: Vector
    compras_30_dias: Vector
    compras_90_dias: Vector
    valor_compra: Vector
    ingresos_30_dias: Vector
    ingresos_90_dias: Vector
    riesgo_perdida_score: NDArray[np.int64]
    dias_hasta_proxima: Vector  # from hoy; NaN where the history cannot say


def puntuar(modelo: ModeloCompras, cartera: CarteraCompras) -> Puntuaciones:
    """Score every client at once (each summary's own `hoy`)."""
    p = modelo.bgnbd
    x, t_x, T = cartera.frecuencia, cartera.recencia, cartera.antiguedad
    vivo = probabilidad_vivo(p, x, t_x, T)
    activo = probabilidad_compra(p, HORIZONTE_ACTIVO_DIAS, x, t_x, T)
    c30 = compras_esperadas(p, 30, x, t_x, T)
    c90 = compras_esperadas(p, 90, x, t_x, T)
    valor = valor_esperado_compra(modelo.gamma_gamma, x + 1, cartera.valor_medio)
    score = np.floor(100 * (1 - activo) + 0.5).clip(0, 100).astype(np.int64)

    # Next purchase: last purchase + the usual gap when that is still ahead; when late, the
    # median wait for the next Poisson event given alive, (α+T)(2^(1/(r+x)) − 1), and never
    # beyond one usual gap. None without a gap (one purchase) or when probably gone.
    desde_ultima = T - t_x
    hueco = cartera.hueco_tipico
    with np.errstate(all="ignore"):
        espera = (p.alpha + T) * np.expm1(np.log(2) / (p.r + x))
    a_tiempo = hueco - desde_ultima
    dias = np.where(a_tiempo >= 0, a_tiempo, np.maximum(1.0, np.minimum(espera, hueco)))
    dias = np.where(np.isfinite(hueco) & (activo >= PROBABILIDAD_MINIMA_FECHA), dias, np.nan)
    return Puntuaciones(
        probabilidad_vivo=vivo,
        probabilidad_activo=activo,
        compras_30_dias=c30,
        compras_90_dias=c90,
        valor_compra=valor,
        ingresos_30_dias=c30 * valor,
        ingresos_90_dias=c90 * valor,
        riesgo_perdida_score=score,
        dias_hasta_proxima=np.asarray(np.round(dias), dtype=float),
    )


# ---------------------------------------------------------------- one client, for the API


def a_euros(valor: float) -> Decimal:
    """A float amount as Decimal euros, half up to the cent."""
    if not math.isfinite(valor):
        raise ValueError(f"importe no finito: {valor!r}")
    return Decimal(f"{valor:.6f}").quantize(CENTIMO, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class PrediccionCompras:
    """Contract §8 figures of one client (without the open opportunities)."""

    probabilidad_vivo: float  # MBG/NBD P(alive), 3 decimals
    probabilidad_activo: float  # P(buys again within HORIZONTE_ACTIVO_DIAS), 3 decimals
    compras_esperadas_30_dias: float  # 2 decimals
    compras_esperadas_90_dias: float
    valor_esperado_compra: Decimal
    ingresos_esperados_30_dias: Decimal
    ingresos_esperados_90_dias: Decimal
    fecha_proxima_compra: date | None
    riesgo_perdida_score: int


def modelo_por_defecto(hoy: date) -> ModeloCompras:
    """The model before any portfolio fit: the prior centre, each client's own mean value."""
    return ajustar_modelo(CarteraCompras.desde_historiales([]), hoy)


def predecir(modelo: ModeloCompras, historial: HistorialCompras | None) -> PrediccionCompras | None:
    """The figures of one client as of `historial.hoy`; None without purchases."""
    return predecir_lote(modelo, [historial])[0]


def predecir_lote(
    modelo: ModeloCompras, historiales: Sequence[HistorialCompras | None]
) -> list[PrediccionCompras | None]:
    """`predecir` for many clients in one vectorised pass (the recompute's batches)."""
    con_compras = [h for h in historiales if h is not None]
    if not con_compras:
        return [None] * len(historiales)
    s = puntuar(modelo, CarteraCompras.desde_historiales(con_compras))
    resultado: list[PrediccionCompras | None] = []
    i = 0
    for historial in historiales:
        if historial is None:
            resultado.append(None)
            continue
        dias = float(s.dias_hasta_proxima[i])
        resultado.append(
            PrediccionCompras(
                probabilidad_vivo=round(float(s.probabilidad_vivo[i]), 3),
                probabilidad_activo=round(float(s.probabilidad_activo[i]), 3),
                compras_esperadas_30_dias=round(float(s.compras_30_dias[i]), 2),
                compras_esperadas_90_dias=round(float(s.compras_90_dias[i]), 2),
                valor_esperado_compra=a_euros(float(s.valor_compra[i])),
                ingresos_esperados_30_dias=a_euros(float(s.ingresos_30_dias[i])),
                ingresos_esperados_90_dias=a_euros(float(s.ingresos_90_dias[i])),
                fecha_proxima_compra=(
                    None if math.isnan(dias) else historial.hoy + timedelta(days=int(dias))
                ),
                riesgo_perdida_score=int(s.riesgo_perdida_score[i]),
            )
        )
        i += 1
    return resultado
