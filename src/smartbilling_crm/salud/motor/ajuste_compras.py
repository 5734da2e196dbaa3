"""The purchase model's fit (MBG/NBD + Gamma-Gamma) over a portfolio's numpy arrays:
penalised maximum likelihood, what the daily recompute stores (`modelo_compras`
predicts from it). The vocabulary and the choices behind each figure are in `compras`.
"""

import math
from collections.abc import Callable
from datetime import date
from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from scipy import optimize, special  # type: ignore[import-untyped]

from smartbilling_crm.salud.motor.compras import (
    LIMITE_LOG,
    MIN_CLIENTES_GAMMA_GAMMA,
    PRIOR_BGNBD,
    PRIOR_GG_SIGMA,
    PRIOR_SIGMA,
    CarteraCompras,
    ModeloCompras,
    ParametrosBGNBD,
    ParametrosGammaGamma,
    Vector,
    parametros_por_defecto,
)

# ---------------------------------------------------------------- fitting


def _log_verosimilitud_bgnbd(
    r: float, alpha: float, a: float, b: float, x: Vector, t_x: Vector, T: Vector
) -> Vector:
    """Per-client MBG/NBD log-likelihood (Batislam, Denizel & Filiztekin 2007; BG/NBD's
    eq. 6 with a possible dropout at every purchase, the first included):
    B(a, b+x+1)/B(a, b) · Γ(r+x) α^r / Γ(r) · [(α+T)^-(r+x) + a/(b+x) · (α+t_x)^-(r+x)]."""
    a1 = special.gammaln(r + x) - special.gammaln(r) + r * np.log(alpha)
    a2 = special.betaln(a, b + x + 1) - special.betaln(a, b)
    a3 = -(r + x) * np.log(alpha + T)
    a4 = np.log(a) - np.log(b + x) - (r + x) * np.log(alpha + t_x)
    return np.asarray(a1 + a2 + np.logaddexp(a3, a4), dtype=float)


def _minimizar(objetivo: Any, inicio: Vector) -> tuple[Vector, float] | None:
    """L-BFGS-B on bounded log-parameters, Nelder-Mead as a second opinion; None if both fail."""
    limites = [(-LIMITE_LOG, LIMITE_LOG)] * len(inicio)
    candidatos: list[tuple[Vector, float]] = []
    with np.errstate(all="ignore"):
        try:
            res = optimize.minimize(objetivo, inicio, method="L-BFGS-B", bounds=limites)
            if np.all(np.isfinite(res.x)) and np.isfinite(res.fun):
                candidatos.append((np.asarray(res.x, dtype=float), float(res.fun)))
            desde = res.x if np.all(np.isfinite(res.x)) else inicio
            res = optimize.minimize(
                objetivo,
                desde,
                method="Nelder-Mead",
                bounds=limites,
                options={"maxiter": 4000, "xatol": 1e-7, "fatol": 1e-10},
            )
            if np.all(np.isfinite(res.x)) and np.isfinite(res.fun):
                candidatos.append((np.asarray(res.x, dtype=float), float(res.fun)))
        except (ValueError, FloatingPointError, ArithmeticError):
            pass
    if not candidatos:
        return None
    return min(candidatos, key=lambda c: c[1])


def _agrupar(*columnas: Vector) -> tuple[list[Vector], Vector]:
    """Unique rows and how many clients share each: the likelihood is a weighted sum."""
    tabla = np.column_stack(columnas)
    unicas, cuenta = np.unique(tabla, axis=0, return_counts=True)
    return [unicas[:, i] for i in range(unicas.shape[1])], cuenta.astype(float)


def ajustar_bgnbd(
    frecuencia: ArrayLike,
    recencia: ArrayLike,
    antiguedad: ArrayLike,
    *,
    fecha_ajuste: date,
    prior: bool = True,
) -> ParametrosBGNBD:
    """Maximum (penalised) likelihood MBG/NBD over the portfolio; never raises (the name
    and `ParametrosBGNBD` keep BG/NBD's: the same four parameters).

    `prior=False` gives the plain maximum likelihood of the paper (used as the reference in
    the backtest); it may run to the bounds on degenerate data.
    """
    x = np.asarray(frecuencia, dtype=float)
    t_x = np.asarray(recencia, dtype=float)
    T = np.asarray(antiguedad, dtype=float)
    validos = np.isfinite(x) & np.isfinite(t_x) & np.isfinite(T) & (x >= 0) & (t_x <= T)
    x, t_x, T = x[validos], t_x[validos], T[validos]
    n = int(x.shape[0])
    if n == 0:
        return parametros_por_defecto(fecha_ajuste)
    (ux, utx, uT), peso = _agrupar(x, t_x, T)
    centro = np.log([PRIOR_BGNBD[k] for k in ("r", "alpha", "a", "b")])

    def objetivo(log_p: Vector) -> float:
        r, alpha, a, b = np.exp(log_p)
        ll = float(np.dot(peso, _log_verosimilitud_bgnbd(r, alpha, a, b, ux, utx, uT)))
        penal = float(np.sum((log_p - centro) ** 2)) / (2 * PRIOR_SIGMA**2) if prior else 0.0
        valor = (-ll + penal) / n
        return valor if math.isfinite(valor) else 1e300

    mejor = _minimizar(objetivo, centro.copy())
    if mejor is None:
        return parametros_por_defecto(fecha_ajuste, n)
    r, alpha, a, b = (float(v) for v in np.exp(mejor[0]))
    return ParametrosBGNBD(r=r, alpha=alpha, a=a, b=b, fecha_ajuste=fecha_ajuste, clientes=n)


def ajustar_gamma_gamma(
    compras: ArrayLike,
    valor_medio: ArrayLike,
    *,
    fecha_ajuste: date,
) -> ParametrosGammaGamma:
    """Gamma-Gamma over clients with 2+ purchases (`compras` = purchases behind each mean).

    Falls back (p = q = v = None) to shrinkage toward the portfolio mean with too few such
    clients or when the fitted mean is not finite (q ≤ 1).
    """
    n_compras = np.asarray(compras, dtype=float)
    m = np.asarray(valor_medio, dtype=float)
    validos = np.isfinite(n_compras) & np.isfinite(m) & (n_compras >= 1) & (m > 0)
    n_compras, m = n_compras[validos], m[validos]
    media = float(np.mean(m)) if m.size else 0.0
    usados = n_compras >= 2
    xs, ms = n_compras[usados], m[usados]
    respaldo = ParametrosGammaGamma(
        p=None,
        q=None,
        v=None,
        media_cartera=media,
        fecha_ajuste=fecha_ajuste,
        clientes=int(xs.size),
        origen="por_defecto",
    )
    if xs.size < MIN_CLIENTES_GAMMA_GAMMA:
        return respaldo
    # Moments start: client means have CV² ≈ 1/(q-2) + ..., take q = 3, p from the spread.
    cv2 = float(np.var(ms) / np.mean(ms) ** 2) if np.mean(ms) > 0 else 1.0
    q0 = 2.0 + 1.0 / max(cv2, 0.05)
    p0 = 2.0
    v0 = float(np.mean(ms)) * (q0 - 1) / p0
    centro = np.log([p0, q0, v0])
    (ux, um), peso = _agrupar(xs, ms)
    n = float(xs.size)
    # What does not depend on the parameters, computed once: the optimiser calls the
    # objective hundreds of times (the same values, so the same fit).
    log_um, log_ux, total = np.log(um), np.log(ux), ux * um
    # The purchase counts take a few dozen values: their gamma functions are computed once
    # each and spread (the same values, so the same fit, in a third of the time).
    cuentas, de_cuenta = np.unique(ux, return_inverse=True)

    def objetivo(log_p: Vector) -> float:
        p, q, v = np.exp(log_p)
        pux = p * ux
        pc = p * cuentas
        ll = (
            (special.gammaln(pc + q) - special.gammaln(pc))[de_cuenta]
            - special.gammaln(q)
            + q * np.log(v)
            + (pux - 1) * log_um
            + pux * log_ux
            - (pux + q) * np.log(total + v)
        )
        penal = float(np.sum((log_p - centro) ** 2)) / (2 * PRIOR_GG_SIGMA**2)
        valor = (-float(np.dot(peso, ll)) + penal) / n
        return valor if math.isfinite(valor) else 1e300

    mejor = _minimizar(objetivo, centro.copy())
    if mejor is None:
        return respaldo
    p, q, v = (float(c) for c in np.exp(mejor[0]))
    if q <= 1.05:
        return respaldo
    return ParametrosGammaGamma(
        p=p, q=q, v=v, media_cartera=media, fecha_ajuste=fecha_ajuste, clientes=int(xs.size)
    )


def ajustar_bgnbd_de(cartera: CarteraCompras, fecha_ajuste: date) -> ParametrosBGNBD:
    """The MBG/NBD fit of a portfolio's summaries."""
    return ajustar_bgnbd(
        cartera.frecuencia, cartera.recencia, cartera.antiguedad, fecha_ajuste=fecha_ajuste
    )


def ajustar_modelo(
    cartera: CarteraCompras,
    fecha_ajuste: date,
    *,
    bgnbd: Callable[[], ParametrosBGNBD] | None = None,
) -> ModeloCompras:
    """Both fits over the portfolio: what the daily recompute stores. `bgnbd` gives the
    MBG/NBD fit when the caller runs it elsewhere meanwhile (`ajustar_bgnbd_de` in another
    process): it is asked for after the Gamma-Gamma fit, run here."""
    gamma_gamma = ajustar_gamma_gamma(
        cartera.frecuencia + 1, cartera.valor_medio, fecha_ajuste=fecha_ajuste
    )
    return ModeloCompras(
        bgnbd=bgnbd() if bgnbd is not None else ajustar_bgnbd_de(cartera, fecha_ajuste),
        gamma_gamma=gamma_gamma,
    )
