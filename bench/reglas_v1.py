"""The v1 rules of churn and expected revenue (cadence + silence) and of payment risk
(invoice counts), frozen here as the backtest's baseline: the service replaced them with
the purchase model (contract §8) and the receivables ledger's figures (contract §7).
Kept only so `bench/backtest.py` can show what the change bought, on the same data."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

from smartbilling_crm.kit.formato import dias, hace
from smartbilling_crm.salud.motor.hechos import (
    FacturaHecho,
    OportunidadHecho,
    dinero,
    redondear,
    texto_numero,
    un_decimal,
)

PUNTOS_INACTIVIDAD_MAX = 30
SIN_RECOMPRA = frozenset({"cliente_dormido", "cliente_perdido"})


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
    fin = hoy + timedelta(days=dias_ventana)
    for oportunidad in oportunidades_abiertas:
        cierre = oportunidad.fecha_cierre_estimada
        if cierre is not None and hoy <= cierre <= fin:
            total += oportunidad.monto_estimado * oportunidad.probabilidad_cierre / Decimal(100)
    return dinero(total)


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
            base = f"Solo una compra ({hace(max(0, dias_desde_ultima_compra))})"
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
        f"Última compra {hace(max(0, dias_desde_ultima_compra))} y suele comprar cada "
        f"{dias(frecuencia)} ({texto_numero(round(float(retraso), 1))} veces su intervalo "
        f"habitual): {puntos_compra} puntos",
        f"{actividad[0].upper()}{actividad[1:]}: {puntos_actividad} puntos",
        f"Riesgo de pérdida {score}/100",
    ]
    return score, motivos


# ---------------------------------------------------------------- v1 payment risk
# Counted invoices, not amounts; an invoice without a due date was never late; no history
# read as 100 % on time. Replaced by salud.motor.pagos (contract §7).

V1_DIAS_VENCIDA_CRITICO = 30
V1_PCT_A_TIEMPO_ALTO = 70.0
V1_PCT_A_TIEMPO_MEDIO = 90.0


def _v1_de_cobro(facturas: Sequence[FacturaHecho]) -> list[FacturaHecho]:
    return [f for f in facturas if not f.anulada and f.total > 0]


def _v1_vencida(factura: FacturaHecho, hoy: date) -> bool:
    return (
        factura.fecha_pago is None
        and factura.fecha_vencimiento is not None
        and factura.fecha_vencimiento < hoy
    )


def _v1_porcentaje_a_tiempo(facturas: Sequence[FacturaHecho], hoy: date) -> float:
    cobro = _v1_de_cobro(facturas)
    pagadas = [f for f in cobro if f.fecha_pago is not None]
    denominador = len(pagadas) + sum(1 for f in cobro if _v1_vencida(f, hoy))
    if denominador == 0:
        return 100.0
    a_tiempo = sum(
        1
        for f in pagadas
        if f.fecha_vencimiento is None
        or (f.fecha_pago is not None and f.fecha_pago <= f.fecha_vencimiento)
    )
    return un_decimal(Fraction(100 * a_tiempo, denominador))


def riesgo_impago(facturas: Sequence[FacturaHecho], hoy: date) -> str:
    """The v1 non-payment level: any overdue invoice is alto (critico past 30 days), and
    less than 70 % / 90 % of invoices paid on time is alto / medio."""
    vencidas = [f for f in _v1_de_cobro(facturas) if _v1_vencida(f, hoy)]
    pct = _v1_porcentaje_a_tiempo(facturas, hoy)
    rango = 0
    if vencidas:
        peor = min(f.fecha_vencimiento for f in vencidas if f.fecha_vencimiento is not None)
        rango = 3 if (hoy - peor).days > V1_DIAS_VENCIDA_CRITICO else 2
    if pct < V1_PCT_A_TIEMPO_ALTO:
        rango = max(rango, 2)
    elif pct < V1_PCT_A_TIEMPO_MEDIO:
        rango = max(rango, 1)
    return ("bajo", "medio", "alto", "critico")[rango]
