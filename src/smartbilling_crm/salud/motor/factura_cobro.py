"""One invoice the client owes, as the payment engine (`salud.motor.pagos`) reads it, pure:
its due date, its payments as of a day, the payment that settled it and whether that was late.

Payments count, in date order, only up to the invoice's total (`hasta_el_total`), as the
ledger applies them (`facturacion.libro`: payments first, then credit notes; what was paid
beyond the total is `saldo_a_favor`). An overpayment is the client's credit, not money paid
on time or late, and it does not move the settlement date: the payment that completed the
total settled the invoice.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

from smartbilling_crm.salud.motor.hechos import desplazar_acotado

CERO = Decimal(0)
PLAZO_PAGO_DIAS = 30  # Ley 3/2004: due 30 days after issue when the invoice says nothing


@dataclass(frozen=True)
class Cobro:
    """A payment received for an invoice."""

    fecha: date
    importe: Decimal


@dataclass(frozen=True)
class FacturaCobro:
    """One invoice the client owes, as of `hoy` (payments after `hoy` must not be listed)."""

    fecha_emision: date
    fecha_vencimiento: date | None
    total: Decimal
    pendiente: Decimal
    cobros: tuple[Cobro, ...] = ()
    numero: str = ""


def vencimiento(factura: FacturaCobro, plazo_dias: int = PLAZO_PAGO_DIAS) -> date:
    """The due date, or issue + `plazo_dias` when the invoice has none."""
    if factura.fecha_vencimiento is not None:
        return factura.fecha_vencimiento
    return desplazar_acotado(factura.fecha_emision, plazo_dias)


def hasta_el_total(factura: FacturaCobro) -> FacturaCobro:
    """The invoice's payments as payments of it: in date order (ties in their given order),
    each counts only up to what the invoice still owed, its total, as the ledger settles
    (`facturacion.libro`: payments before credit, the excess is `saldo_a_favor`). What goes
    beyond is the client's credit, not money paid on time or late: 300 € on time and then
    2.000 € late on an invoice of 1.210 € are 300 € on time and 910 € late (and the invoice
    was settled by the 2.000 €). Untouched unless the payments add up to more than the total."""
    if sum((c.importe for c in factura.cobros), CERO) <= factura.total:
        return factura
    acumulado = contado = CERO
    cobros = []
    for cobro in sorted(factura.cobros, key=lambda c: c.fecha):
        acumulado += cobro.importe
        hasta = min(acumulado, factura.total)
        cobros.append(Cobro(cobro.fecha, hasta - contado))
        contado = hasta
    return replace(factura, cobros=tuple(cobros))


def a_fecha(factura: FacturaCobro, hoy: date) -> FacturaCobro:
    """The same invoice as it stood on `hoy`: its payments counted up to its total
    (`hasta_el_total`), and later ones undone (what they paid of it was pending)."""
    factura = hasta_el_total(factura)
    posteriores = [c for c in factura.cobros if c.fecha > hoy]
    if not posteriores:
        return factura
    return replace(
        factura,
        cobros=tuple(c for c in factura.cobros if c.fecha <= hoy),
        pendiente=factura.pendiente + sum((c.importe for c in posteriores), CERO),
    )


def fecha_liquidacion(factura: FacturaCobro) -> date | None:
    """The date of the payment that settled the invoice; None if open or settled by credit."""
    if factura.pendiente > 0 or not factura.cobros:
        return None
    pagos = sorted(factura.cobros, key=lambda c: c.fecha)
    debido = sum((c.importe for c in pagos), CERO) + factura.pendiente
    acumulado = CERO
    for cobro in pagos:
        acumulado += cobro.importe
        if acumulado >= debido:
            return cobro.fecha
    return pagos[-1].fecha


def pago_tardio(factura: FacturaCobro, hoy: date, plazo_dias: int = PLAZO_PAGO_DIAS) -> bool | None:
    """True if paid late or overdue now, False if settled on time, None without an outcome."""
    vence = vencimiento(factura, plazo_dias)
    if factura.pendiente > 0:
        return True if vence < hoy else None
    liquidada = fecha_liquidacion(factura)
    if liquidada is None:
        return None
    return liquidada > vence
