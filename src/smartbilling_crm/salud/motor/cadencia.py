"""What and when a client buys: LTV, purchase cadence, expected revenue and churn risk."""

from __future__ import annotations

import functools
import itertools
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from fractions import Fraction

from smartbilling_crm.dominio import EstadoCliente, RiesgoImpago
from smartbilling_crm.kit.formato import dias, hace
from smartbilling_crm.salud.motor.hechos import (
    PERDIDA_ALTO,
    PERDIDA_CRITICO,
    PERDIDA_MEDIO,
    FacturaHecho,
    OportunidadHecho,
    desplazar_acotado,
    dinero,
    redondear,
    vigentes,
)
from smartbilling_crm.salud.motor.modelo_compras import PrediccionCompras


def calcular_ltv(facturas: Sequence[FacturaHecho]) -> Decimal:
    """Σ base_imponible of non-cancelled invoices; credit notes reduce it."""
    return dinero(sum((f.base_imponible for f in vigentes(facturas)), Decimal(0)))


def monto_promedio(facturas: Sequence[FacturaHecho]) -> Decimal | None:
    """Mean base_imponible of non-cancelled invoices with a positive base."""
    bases = [f.base_imponible for f in vigentes(facturas) if f.base_imponible > 0]
    if not bases:
        return None
    return dinero(sum(bases, Decimal(0)) / len(bases))


def fechas_compra(facturas: Sequence[FacturaHecho]) -> list[date]:
    """Distinct issue dates of positive-base invoices, oldest first: one date, one purchase."""
    return sorted({f.fecha_emision for f in vigentes(facturas) if f.base_imponible > 0})


def frecuencia_compra(compras: Sequence[date]) -> int | None:
    """Median gap in days between consecutive purchase dates; None with fewer than 2."""
    ordenadas = sorted(set(compras))
    if len(ordenadas) < 2:
        return None
    huecos = sorted((b - a).days for a, b in itertools.pairwise(ordenadas))
    mitad = len(huecos) // 2
    if len(huecos) % 2:
        return huecos[mitad]
    return redondear(Fraction(huecos[mitad - 1] + huecos[mitad], 2))


def meses_entre(desde: date, hasta: date) -> int:
    """Whole months from `desde` to `hasta` (0 if `hasta` is earlier)."""
    meses = (hasta.year - desde.year) * 12 + (hasta.month - desde.month)
    if hasta.day < desde.day:
        meses -= 1
    return max(0, meses)


# ---------------------------------------------------------------- forecast


def ingresos_oportunidades(
    oportunidades_abiertas: Sequence[OportunidadHecho], hoy: date, dias_ventana: int
) -> Decimal:
    """Σ amount × probability of the open opportunities expected to close in the window.

    New business beyond the client's habit: the purchase model forecasts the habitual
    repeat purchases, so the two are added; a won opportunity leaves the pipeline and its
    invoice joins the purchase history, so one sale is never counted twice.
    """
    total = Decimal(0)
    fin = desplazar_acotado(hoy, dias_ventana)
    for oportunidad in oportunidades_abiertas:
        cierre = oportunidad.fecha_cierre_estimada
        if cierre is not None and hoy <= cierre <= fin:
            total += oportunidad.monto_estimado * oportunidad.probabilidad_cierre / Decimal(100)
    return dinero(total)


def riesgo_perdida_modelo(
    prediccion: PrediccionCompras | None,
    *,
    estado: str,
    compras: int,
    dias_desde_ultima_compra: int | None,
    frecuencia: int | None,
) -> tuple[int, list[str]]:
    """Churn score 0..100 from the purchase model (100 = lost) and its explanation.

    `riesgo_perdida_score` = 100 × (1 − probabilidad_activo), half up. A client marked lost
    by hand is 100; one who never bought has no purchase history to judge: 0, and says so.
    """
    if estado == EstadoCliente.CLIENTE_PERDIDO:
        return 100, ["Marcado como cliente perdido: riesgo de pérdida 100/100"]
    if prediccion is None or dias_desde_ultima_compra is None:
        # A client with a purchase the model cannot read yet (a won deal not invoiced, an
        # invoice dated after today) is not a prospect: its reason must not say it never
        # bought, beside its state.
        if estado == EstadoCliente.PROSPECTO:
            sin_historial = "Sin compras todavía"
        else:
            sin_historial = "Sin compras facturadas hasta hoy"
        return 0, [
            f"{sin_historial}: no hay historial para estimar si volverá a comprar "
            "(riesgo de pérdida 0/100)"
        ]
    score = prediccion.riesgo_perdida_score
    historia = f"{compras} {'compra' if compras == 1 else 'compras'}"
    historia += f", la última {hace(max(0, dias_desde_ultima_compra))}"
    if frecuencia is not None:
        historia += f"; suele comprar cada {dias(frecuencia)}"
    probabilidad = _porcentaje(prediccion.probabilidad_activo)
    return score, [
        f"Probabilidad de que vuelva a comprar en los próximos 12 meses: {probabilidad} % "
        f"({historia})",
        f"Riesgo de pérdida {score}/100",
    ]


@functools.lru_cache(maxsize=4096)
def _porcentaje(probabilidad: float) -> int:
    """A probability as a whole percentage, half up, from its shortest fraction (a float
    of three decimals is that many thousandths). Once per value: a thousand values cover
    a whole portfolio, and the fraction took 5 µs a client."""
    return redondear(Fraction(probabilidad).limit_denominator() * 100)


def nivel_riesgo_perdida(score: int) -> str:
    """Band of the churn score: bajo < 30 ≤ medio < 60 ≤ alto < 80 ≤ critico."""
    if score >= PERDIDA_CRITICO:
        return RiesgoImpago.CRITICO
    if score >= PERDIDA_ALTO:
        return RiesgoImpago.ALTO
    if score >= PERDIDA_MEDIO:
        return RiesgoImpago.MEDIO
    return RiesgoImpago.BAJO
