"""Purchases predicted from the portfolio (contract §8): MBG/NBD + Gamma-Gamma, pure.

Vocabulary (days throughout):

- A **purchase** is a day with at least one non-cancelled invoice of positive base; its value is
  the sum of that day's bases. Three invoices issued the same day are one purchase.
- Per client, as of `hoy`: `frecuencia` x = repeat purchases (purchase days after the first),
  `recencia` t_x = days from the first to the last purchase, `antiguedad` T = days from the first
  purchase to `hoy`.

The model is MBG/NBD (Batislam, Denizel & Filiztekin 2007), the variant of BG/NBD (Fader,
Hardie & Lee 2005, "Counting your customers the easy way"): while alive a client buys as a
Poisson process of rate λ ~ Gamma(r, α); after each purchase, the first included, it leaves for
good with probability p ~ Beta(a, b). Values per purchase follow the Gamma-Gamma model (Fader,
Hardie & Lee 2005, note 025): value ~ Gamma(p, ν), ν ~ Gamma(q, v). The formulas are those of
`lifetimes`' ModifiedBetaGeoFitter (checked by simulation), written here over numpy arrays so a
portfolio of 100,000 clients scores in a fraction of a second. The parameters keep BG/NBD's
names (`ParametrosBGNBD`, the stored `bgnbd`): the same four, read the MBG/NBD way.

Choices, each checked by `bench/backtest.py` on the CDNOW panel:

- **Small portfolios.** The fit maximises the likelihood plus a weak log-normal prior on each
  parameter (centre `PRIOR_BGNBD`, standard deviation `PRIOR_SIGMA` on the log scale). With
  thousands of clients the prior is negligible (CDNOW: the paper's parameters within
  about 1 %); with 20 clients, or when nobody has bought twice (the likelihood then has no
  maximum), it keeps the parameters finite and close to a plausible B2B portfolio instead of
  raising or returning nonsense. Should the optimiser still fail, the prior centre is used
  (`origen="por_defecto"`).
- **MBG/NBD, not BG/NBD.** BG/NBD's P(alive) is 1 for every client who bought only once,
  however long ago, because in that model a client can only leave right after a repeat
  purchase: a churn score built on it ranks one-time buyers as the safest clients (AUC 0.34 on
  CDNOW, worse than chance), and in a portfolio of regular buyers (r large) even the one-year
  chance below gave a client who bought once two years ago 93–98 %. MBG/NBD lets a client
  leave after its first purchase too: that client falls near 0, and on CDNOW the one-year
  chance ranks churn a little better (AUC 0.778 / 0.756 at 90 / 273 days, against 0.773 /
  0.751 under BG/NBD; `bench/BACKTEST.md`).
- **`probabilidad_activo`** is the chance that the client buys again within
  `HORIZONTE_ACTIVO_DIAS` (a year): P(alive) × P(at least one purchase in a year | alive).
- **`riesgo_perdida_score`** = round(100 × (1 − probabilidad_activo)), half up.
- **Value per purchase**: Gamma-Gamma over every purchase of the client (the first included:
  a one-time buyer's only purchase says something about it), fitted on clients with two or more
  purchases; with fewer than `MIN_CLIENTES_GAMMA_GAMMA` such clients, or a fit without a finite
  mean (q ≤ 1), the client's own mean shrunk toward the portfolio mean as if the portfolio
  mean were `PESO_MEDIA_CARTERA` purchases of its own.
- **No regularity adjustment.** A monthly retainer who is a few days late keeps a high
  P(alive) under the model already (many purchases make λ precise and the dropout chance small);
  see the tests. The backtest gave no reason to add one.
"""

from __future__ import annotations

import itertools
import math
import statistics
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from datetime import date
from decimal import Decimal
from typing import Any, Literal, Protocol

import numpy as np
from numpy.typing import ArrayLike, NDArray

Vector = NDArray[np.float64]
Origen = Literal["ajuste", "por_defecto"]

CENTIMO = Decimal("0.01")

# Weak prior of the BG/NBD fit (days): one purchase every ~3 months on average with much
# heterogeneity (r = 1), a 20 % chance of leaving after each purchase (a = 1, b = 4).
PRIOR_BGNBD: dict[str, float] = {"r": 1.0, "alpha": 90.0, "a": 1.0, "b": 4.0}
PRIOR_SIGMA = 2.0  # on the log scale: the centre ×/÷ 7.4 is one standard deviation

# Gamma-Gamma.
MIN_CLIENTES_GAMMA_GAMMA = 10  # clients with 2+ purchases needed to fit it
PRIOR_GG_SIGMA = 3.0  # very weak log-normal prior around a moments start
PESO_MEDIA_CARTERA = 3.0  # fallback shrinkage: the portfolio mean counts as 3 purchases

# Figures shown to the user.
HORIZONTE_ACTIVO_DIAS = 365
PROBABILIDAD_MINIMA_FECHA = 0.5  # below it the next purchase date is None
LIMITE_LOG = 12.0  # log-parameters are kept in [-12, 12]


# ---------------------------------------------------------------- purchases and summaries


class FacturaVenta(Protocol):
    """What the model reads from an invoice (services.salud.FacturaHecho fits)."""

    @property
    def fecha_emision(self) -> date: ...

    @property
    def base_imponible(self) -> Decimal: ...

    @property
    def anulada(self) -> bool: ...


@dataclass(frozen=True)
class Compra:
    """One purchase: a day with positive-base invoices and the sum of their bases."""

    fecha: date
    importe: Decimal


def compras_diarias(facturas: Iterable[FacturaVenta]) -> list[Compra]:
    """Purchases from invoices, oldest first: non-cancelled, positive base, grouped by day."""
    por_dia: dict[date, Decimal] = defaultdict(Decimal)
    for factura in facturas:
        if not factura.anulada and factura.base_imponible > 0:
            por_dia[factura.fecha_emision] += factura.base_imponible
    return [Compra(fecha, importe) for fecha, importe in sorted(por_dia.items())]


@dataclass(frozen=True)
class HistorialCompras:
    """One client's purchase history as of `hoy`, as the model reads it."""

    hoy: date
    primera: date
    ultima: date
    compras: int  # purchase days up to hoy (x + 1)
    frecuencia: int  # x: repeat purchases
    recencia: int  # t_x: days from the first to the last purchase
    antiguedad: int  # T: days from the first purchase to hoy
    valor_medio: float  # mean value of every purchase
    valor_medio_repeticion: float | None  # mean of the repeat purchases; None when x = 0
    hueco_tipico: int | None  # median days between purchases; None when x = 0


def resumir(compras: Iterable[Compra], hoy: date) -> HistorialCompras | None:
    """The summary of `compras` up to `hoy` (later ones ignored); None without purchases.

    Purchases on the same day are merged, so `compras_diarias` output and raw daily totals
    give the same summary.
    """
    por_dia: dict[date, float] = defaultdict(float)
    for compra in compras:
        if compra.fecha <= hoy and compra.importe > 0:
            por_dia[compra.fecha] += float(compra.importe)
    fechas = sorted(por_dia)
    return resumen(fechas, [por_dia[f] for f in fechas], hoy)


def resumen(fechas: Sequence[date], valores: Sequence[float], hoy: date) -> HistorialCompras | None:
    """The summary of purchase days (distinct, oldest first, none after `hoy`) and what
    each came to; None without any (`resumir` of purchases merged by day)."""
    if not fechas:
        return None
    x = len(fechas) - 1
    huecos = [(b - a).days for a, b in itertools.pairwise(fechas)]
    return HistorialCompras(
        hoy=hoy,
        primera=fechas[0],
        ultima=fechas[-1],
        compras=len(fechas),
        frecuencia=x,
        recencia=(fechas[-1] - fechas[0]).days,
        antiguedad=(hoy - fechas[0]).days,
        valor_medio=sum(valores) / len(valores),
        valor_medio_repeticion=sum(valores[1:]) / x if x else None,
        # statistics, not numpy: a dozen gaps per client, and np.median's array round
        # trip cost as much as the rest of the summary (the same middle value, or the
        # mean of the two middle ones).
        hueco_tipico=math.floor(statistics.median(huecos) + 0.5) if huecos else None,
    )


@dataclass(frozen=True)
class CarteraCompras:
    """The summaries of many clients as parallel arrays (one row per client)."""

    frecuencia: Vector  # x
    recencia: Vector  # t_x (days)
    antiguedad: Vector  # T (days)
    valor_medio: Vector  # mean of every purchase
    hueco_tipico: Vector  # median gap, NaN when x = 0

    @classmethod
    def desde_historiales(cls, historiales: Sequence[HistorialCompras]) -> CarteraCompras:
        return cls(
            frecuencia=np.array([h.frecuencia for h in historiales], dtype=float),
            recencia=np.array([h.recencia for h in historiales], dtype=float),
            antiguedad=np.array([h.antiguedad for h in historiales], dtype=float),
            valor_medio=np.array([h.valor_medio for h in historiales], dtype=float),
            hueco_tipico=np.array(
                [np.nan if h.hueco_tipico is None else h.hueco_tipico for h in historiales],
                dtype=float,
            ),
        )

    @classmethod
    def desde_arrays(
        cls,
        frecuencia: ArrayLike,
        recencia: ArrayLike,
        antiguedad: ArrayLike,
        valor_medio: ArrayLike,
        hueco_tipico: ArrayLike | None = None,
    ) -> CarteraCompras:
        x = np.asarray(frecuencia, dtype=float)
        return cls(
            frecuencia=x,
            recencia=np.asarray(recencia, dtype=float),
            antiguedad=np.asarray(antiguedad, dtype=float),
            valor_medio=np.asarray(valor_medio, dtype=float),
            hueco_tipico=(
                np.full(x.shape, np.nan)
                if hueco_tipico is None
                else np.asarray(hueco_tipico, dtype=float)
            ),
        )

    def __len__(self) -> int:
        return int(self.frecuencia.shape[0])


def cartera_desde_dias(
    cliente: ArrayLike, dia: ArrayLike, importe: ArrayLike, hoy: date
) -> CarteraCompras:
    """`resumir` of every client at once, vectorised over the portfolio's purchase days.

    One row per (client, day) with the day's total, ordered by client then day (what
    `dias_de_compra` reads); `cliente` is any per-row client code, `dia` the day's
    ordinal (`date.toordinal`). Days after `hoy` and non-positive totals are left out,
    as `resumir` does; a client left with nothing has no row. Row for row, the same
    figures as `CarteraCompras.desde_historiales` of each client's `resumir`.
    """
    # Days and gaps fit in 32 bits: a million-row portfolio's temporaries stay small.
    codigo = np.asarray(cliente)
    dias = np.asarray(dia, dtype=np.int32)
    valores = np.asarray(importe, dtype=float)
    if codigo.dtype.kind in "iu" and np.any(np.diff(codigo) < 0):
        raise ValueError("purchase days must come grouped by client")
    vale = (dias <= hoy.toordinal()) & (valores > 0)
    if not vale.all():
        codigo, dias, valores = codigo[vale], dias[vale], valores[vale]
    del vale
    if not len(dias):
        return CarteraCompras.desde_historiales([])
    inicio = np.flatnonzero(np.r_[True, codigo[1:] != codigo[:-1]])
    del codigo
    fin = np.r_[inicio[1:], len(dias)]
    compras = fin - inicio
    primera, ultima = dias[inicio], dias[fin - 1]
    # Summed by `sum`, in row order, as `resumir` does: numpy's pairwise sums may differ
    # in the last bit, and the fitted model would with them.
    suma = np.array(
        [sum(valores[i:j].tolist()) for i, j in zip(inicio.tolist(), fin.tolist(), strict=True)]
    )
    del valores
    # The median gap: gaps within each client, sorted per client, the middle one(s).
    grupo = np.repeat(np.arange(len(inicio), dtype=np.int32), compras)
    mismo = grupo[1:] == grupo[:-1]
    huecos, de = np.diff(dias)[mismo], grupo[1:][mismo]
    del grupo, mismo, dias
    huecos = huecos[np.lexsort((huecos, de))]
    del de
    n = compras - 1
    desde = np.r_[0, np.cumsum(n)[:-1]]
    con = n > 0
    bajo = desde[con] + (n[con] - 1) // 2
    alto = desde[con] + n[con] // 2
    hueco = np.full(len(inicio), np.nan)
    hueco[con] = np.floor((huecos[bajo].astype(float) + huecos[alto]) / 2 + 0.5)
    return CarteraCompras(
        frecuencia=n.astype(float),
        recencia=(ultima - primera).astype(float),
        antiguedad=(hoy.toordinal() - primera.astype(np.int64)).astype(float),
        valor_medio=suma / compras,
        hueco_tipico=hueco,
    )


# ---------------------------------------------------------------- parameters


@dataclass(frozen=True)
class ParametrosBGNBD:
    """BG/NBD parameters, time in days."""

    r: float
    alpha: float
    a: float
    b: float
    fecha_ajuste: date
    clientes: int
    origen: Origen = "ajuste"


@dataclass(frozen=True)
class ParametrosGammaGamma:
    """Gamma-Gamma parameters of the value per purchase (None fields: fallback shrinkage)."""

    p: float | None
    q: float | None
    v: float | None
    media_cartera: float  # mean over clients of their mean purchase value (0 if none)
    fecha_ajuste: date
    clientes: int  # clients with 2+ purchases used by the fit
    origen: Origen = "ajuste"


@dataclass(frozen=True)
class ModeloCompras:
    """Everything the daily recompute stores: both fits and their date."""

    bgnbd: ParametrosBGNBD
    gamma_gamma: ParametrosGammaGamma

    @property
    def fecha_ajuste(self) -> date:
        return self.bgnbd.fecha_ajuste

    def como_dict(self) -> dict[str, Any]:
        """JSON-ready form (dates as ISO strings) for storing the fitted model."""

        def limpio(d: dict[str, Any]) -> dict[str, Any]:
            return {k: v.isoformat() if isinstance(v, date) else v for k, v in d.items()}

        return {
            "bgnbd": limpio(asdict(self.bgnbd)),
            "gamma_gamma": limpio(asdict(self.gamma_gamma)),
        }

    @classmethod
    def desde_dict(cls, datos: dict[str, Any]) -> ModeloCompras:
        bg = dict(datos["bgnbd"])
        gg = dict(datos["gamma_gamma"])
        bg["fecha_ajuste"] = date.fromisoformat(bg["fecha_ajuste"])
        gg["fecha_ajuste"] = date.fromisoformat(gg["fecha_ajuste"])
        return cls(bgnbd=ParametrosBGNBD(**bg), gamma_gamma=ParametrosGammaGamma(**gg))


def parametros_por_defecto(fecha_ajuste: date, clientes: int = 0) -> ParametrosBGNBD:
    """The prior centre, used when there is nothing to fit."""
    return ParametrosBGNBD(
        **PRIOR_BGNBD, fecha_ajuste=fecha_ajuste, clientes=clientes, origen="por_defecto"
    )
