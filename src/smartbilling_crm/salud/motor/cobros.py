"""Overdue invoices and the payment trend, over the ledger's facts.

The payment figures of contract §7 (amounts pending, aging, DSO, on-time share by
amount, late-payment probability and risk level) are `salud.motor.pagos`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from fractions import Fraction

from smartbilling_crm.salud.motor.hechos import (
    TENDENCIA_MIN_ANTERIORES,
    TENDENCIA_RECIENTES,
    FacturaHecho,
    TendenciaPago,
    de_cobro,
    pendiente_de,
)


def _vencida(factura: FacturaHecho, hoy: date) -> bool:
    # Due today is not yet overdue. The ledger gives every invoice a due date (issue +
    # CRM_PLAZO_PAGO_DIAS when it had none).
    return (
        pendiente_de(factura) > 0
        and factura.fecha_vencimiento is not None
        and factura.fecha_vencimiento < hoy
    )


def facturas_vencidas(facturas: Sequence[FacturaHecho], hoy: date) -> list[FacturaHecho]:
    """Invoices with something still owed past their due date, the longest overdue first."""
    vencidas = [f for f in de_cobro(facturas) if _vencida(f, hoy)]
    return sorted(vencidas, key=lambda f: (f.fecha_vencimiento, f.numero, f.factura_id))


def _dias_para_pagar(factura: FacturaHecho) -> int:
    assert factura.fecha_pago is not None
    return (factura.fecha_pago - factura.fecha_emision).days


def _pagadas_por_fecha_pago(facturas: Sequence[FacturaHecho]) -> list[FacturaHecho]:
    """Invoices settled by payments, by settlement date."""
    pagadas = [f for f in de_cobro(facturas) if f.fecha_pago is not None and pendiente_de(f) <= 0]
    return sorted(pagadas, key=lambda f: (f.fecha_pago, f.fecha_emision, f.numero, f.factura_id))


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
