"""What and when a client buys: LTV, purchase cadence, expected revenue and churn risk."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from fractions import Fraction

from smartbilling_crm.dominio import RiesgoImpago
from smartbilling_crm.kit.formato import dias
from smartbilling_crm.salud.motor.hechos import (
    PERDIDA_ALTO,
    PERDIDA_CRITICO,
    PERDIDA_MEDIO,
    PUNTOS_INACTIVIDAD_MAX,
    SIN_RECOMPRA,
    FacturaHecho,
    OportunidadHecho,
    desplazar_acotado,
    dinero,
    redondear,
    texto_numero,
    vigentes,
)


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


def _repeticiones_en_ventana(ultima: date, frecuencia: int, hoy: date, dias_ventana: int) -> int:
    """How many of ultima + j·frecuencia (j ≥ 1) fall in (hoy, hoy + dias_ventana]."""
    desde = (hoy - ultima).days
    hasta = desde + dias_ventana
    primera = max(1, desde // frecuencia + 1)
    return max(0, hasta // frecuencia - primera + 1)


def ingresos_esperados(
    *,
    compras: Sequence[date],
    frecuencia: int | None,
    promedio: Decimal | None,
    estado: str,
    oportunidades_abiertas: Sequence[OportunidadHecho],
    hoy: date,
    dias_ventana: int,
) -> Decimal:
    """Expected repeat invoices plus weighted open opportunities closing within the window."""
    total = Decimal(0)
    if compras and frecuencia and promedio is not None and estado not in SIN_RECOMPRA:
        total += promedio * _repeticiones_en_ventana(compras[-1], frecuencia, hoy, dias_ventana)
    fin = desplazar_acotado(hoy, dias_ventana)
    for oportunidad in oportunidades_abiertas:
        cierre = oportunidad.fecha_cierre_estimada
        if cierre is not None and hoy <= cierre <= fin:
            total += oportunidad.monto_estimado * oportunidad.probabilidad_cierre / Decimal(100)
    return dinero(total)


# ---------------------------------------------------------------- churn


def _puntos_compra(retraso: Fraction) -> Fraction:
    """0..70 points from days since the last purchase ÷ the usual gap."""
    if retraso <= 1:
        return 10 * retraso
    if retraso <= 2:
        return 10 + 40 * (retraso - 1)
    return 50 + 20 * min(retraso - 2, Fraction(1))


def riesgo_perdida(
    *,
    dias_desde_ultima_compra: int | None,
    frecuencia: int | None,
    dias_sin_actividad: int | None,
) -> tuple[int, list[str]]:
    """Churn score 0..100 (100 = about to leave) and its explanation."""
    if frecuencia is None or dias_desde_ultima_compra is None:
        # Without two purchases there is no cadence of its own: judge by silence alone.
        if dias_desde_ultima_compra is None:
            base = "Sin compras todavía"
        else:
            base = f"Solo una compra (hace {dias(max(0, dias_desde_ultima_compra))})"
        if dias_sin_actividad is None:
            return 0, [
                f"{base} y ninguna actividad registrada: no hay datos para estimar el riesgo "
                "de pérdida (0/100)"
            ]
        score = min(100, dias_sin_actividad)
        return score, [
            f"{base}: sin cadencia de compra propia, el riesgo de pérdida se basa solo en la "
            f"inactividad, 1 punto por día sin actividad ({dias(dias_sin_actividad)}): "
            f"{score}/100"
        ]

    retraso = Fraction(max(0, dias_desde_ultima_compra), frecuencia)
    puntos_compra = redondear(_puntos_compra(retraso))
    if dias_sin_actividad is None:
        puntos_actividad = PUNTOS_INACTIVIDAD_MAX
        actividad = "ninguna actividad registrada"
    else:
        puntos_actividad = min(PUNTOS_INACTIVIDAD_MAX, dias_sin_actividad)
        actividad = f"{dias(dias_sin_actividad)} sin actividad"
    score = min(100, puntos_compra + puntos_actividad)
    motivos = [
        f"Última compra hace {dias(max(0, dias_desde_ultima_compra))} y suele comprar cada "
        f"{dias(frecuencia)} ({texto_numero(round(float(retraso), 1))} veces su intervalo "
        f"habitual): {puntos_compra} puntos",
        f"{actividad[0].upper()}{actividad[1:]}: {puntos_actividad} puntos",
        f"Riesgo de pérdida {score}/100",
    ]
    return score, motivos


def nivel_riesgo_perdida(score: int) -> str:
    """Band of the churn score: bajo < 30 ≤ medio < 60 ≤ alto < 80 ≤ critico."""
    if score >= PERDIDA_CRITICO:
        return RiesgoImpago.CRITICO
    if score >= PERDIDA_ALTO:
        return RiesgoImpago.ALTO
    if score >= PERDIDA_MEDIO:
        return RiesgoImpago.MEDIO
    return RiesgoImpago.BAJO
