"""How a client pays: overdue invoices, on-time share, days to pay, trend, payment risk."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from fractions import Fraction

from smartbilling_crm.dominio import RiesgoImpago
from smartbilling_crm.kit.formato import dias, euros
from smartbilling_crm.salud.motor.hechos import (
    DIAS_VENCIDA_CRITICO,
    ORDEN_RIESGO,
    PCT_A_TIEMPO_ALTO,
    PCT_A_TIEMPO_MEDIO,
    TENDENCIA_MIN_ANTERIORES,
    TENDENCIA_RECIENTES,
    FacturaHecho,
    TendenciaPago,
    de_cobro,
    texto_dias,
    texto_porcentaje,
    un_decimal,
)


def _pagada_a_tiempo(factura: FacturaHecho) -> bool:
    # A payment on the due date is on time; with no due date there is nothing to be late for.
    assert factura.fecha_pago is not None
    return factura.fecha_vencimiento is None or factura.fecha_pago <= factura.fecha_vencimiento


def _vencida(factura: FacturaHecho, hoy: date) -> bool:
    # Due today is not yet overdue; without a due date an invoice never becomes overdue.
    return (
        factura.fecha_pago is None
        and factura.fecha_vencimiento is not None
        and factura.fecha_vencimiento < hoy
    )


def facturas_vencidas(facturas: Sequence[FacturaHecho], hoy: date) -> list[FacturaHecho]:
    """Unpaid invoices past their due date, the longest overdue first."""
    vencidas = [f for f in de_cobro(facturas) if _vencida(f, hoy)]
    return sorted(vencidas, key=lambda f: (f.fecha_vencimiento, f.numero, f.factura_id))


def porcentaje_a_tiempo(facturas: Sequence[FacturaHecho], hoy: date) -> float:
    """100 × paid on time ÷ (paid + unpaid overdue), one decimal; 100 when there are none."""
    cobro = de_cobro(facturas)
    pagadas = [f for f in cobro if f.fecha_pago is not None]
    denominador = len(pagadas) + sum(1 for f in cobro if _vencida(f, hoy))
    if denominador == 0:
        return 100.0
    a_tiempo = sum(1 for f in pagadas if _pagada_a_tiempo(f))
    return un_decimal(Fraction(100 * a_tiempo, denominador))


def _dias_para_pagar(factura: FacturaHecho) -> int:
    assert factura.fecha_pago is not None
    return (factura.fecha_pago - factura.fecha_emision).days


def _pagadas_por_fecha_pago(facturas: Sequence[FacturaHecho]) -> list[FacturaHecho]:
    pagadas = [f for f in de_cobro(facturas) if f.fecha_pago is not None]
    return sorted(pagadas, key=lambda f: (f.fecha_pago, f.fecha_emision, f.numero, f.factura_id))


def dias_promedio_para_pagar(facturas: Sequence[FacturaHecho]) -> float | None:
    """Mean days from issue to payment of paid invoices, one decimal; None if none paid."""
    pagadas = _pagadas_por_fecha_pago(facturas)
    if not pagadas:
        return None
    return un_decimal(Fraction(sum(_dias_para_pagar(f) for f in pagadas), len(pagadas)))


def tendencia_pago(facturas: Sequence[FacturaHecho]) -> TendenciaPago | None:
    """Last 3 paid invoices (by payment date) against all earlier ones; None without 3+ earlier."""
    pagadas = _pagadas_por_fecha_pago(facturas)
    anteriores = pagadas[:-TENDENCIA_RECIENTES]
    recientes = pagadas[-TENDENCIA_RECIENTES:]
    if len(anteriores) < TENDENCIA_MIN_ANTERIORES:
        return None
    return TendenciaPago(
        media_reciente=Fraction(sum(map(_dias_para_pagar, recientes)), len(recientes)),
        media_anterior=Fraction(sum(map(_dias_para_pagar, anteriores)), len(anteriores)),
        recientes=len(recientes),
        anteriores=len(anteriores),
    )


def riesgo_impago(facturas: Sequence[FacturaHecho], hoy: date) -> tuple[str, list[str]]:
    """The non-payment level (bajo/medio/alto/critico) and every signal behind it."""
    cobro = de_cobro(facturas)
    vencidas = facturas_vencidas(facturas, hoy)
    pct = porcentaje_a_tiempo(facturas, hoy)
    tendencia = tendencia_pago(facturas)
    motivos: list[str] = []

    nivel = RiesgoImpago.BAJO
    if vencidas:
        peor = vencidas[0]
        assert peor.fecha_vencimiento is not None
        retraso = (hoy - peor.fecha_vencimiento).days
        importe = sum((f.total for f in vencidas), Decimal(0))
        if len(vencidas) == 1:
            motivos.append(f"1 factura vencida sin pagar por {euros(importe)}")
        else:
            motivos.append(f"{len(vencidas)} facturas vencidas sin pagar por {euros(importe)}")
        if retraso > DIAS_VENCIDA_CRITICO:
            nivel = RiesgoImpago.CRITICO
            motivos.append(
                f"La factura {peor.numero} ({euros(peor.total)}) lleva {dias(retraso)} vencida "
                f"(más de {DIAS_VENCIDA_CRITICO})"
            )
        else:
            nivel = RiesgoImpago.ALTO
            motivos.append(
                f"La factura {peor.numero} ({euros(peor.total)}) lleva {dias(retraso)} vencida"
            )

    if pct < PCT_A_TIEMPO_MEDIO:
        if pct < PCT_A_TIEMPO_ALTO:
            nivel = max(nivel, RiesgoImpago.ALTO, key=ORDEN_RIESGO.index)
            umbral = PCT_A_TIEMPO_ALTO
        else:
            nivel = max(nivel, RiesgoImpago.MEDIO, key=ORDEN_RIESGO.index)
            umbral = PCT_A_TIEMPO_MEDIO
        motivos.append(
            f"Solo el {texto_porcentaje(pct)} de sus facturas se pagó a tiempo "
            f"(menos del {texto_porcentaje(umbral)})"
        )

    if tendencia is not None and tendencia.empeora:
        nivel = max(nivel, RiesgoImpago.MEDIO, key=ORDEN_RIESGO.index)
        motivos.append(
            f"Paga más tarde: sus {tendencia.recientes} últimos pagos tardaron de media "
            f"{texto_dias(un_decimal(tendencia.media_reciente))}, "
            f"{texto_dias(tendencia.diferencia)} más que antes "
            f"({texto_dias(un_decimal(tendencia.media_anterior))})"
        )

    if nivel == RiesgoImpago.BAJO:
        if cobro:
            motivos.append(
                f"Paga bien: ninguna factura vencida y el {texto_porcentaje(pct)} pagado a tiempo"
            )
        else:
            motivos.append("Sin facturas que cobrar: aún no hay historial de pagos")
    return str(nivel), motivos
