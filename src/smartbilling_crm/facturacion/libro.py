"""The receivables ledger of one client (contract §7), pure: what each invoice still owes.

Recomputed from scratch, for the whole client, after every change to its invoices or
payments, so the result does not depend on the order events arrived in:

1. **Payments**: each invoice's live payments (not returned) are added up. The earliest
   live payment of a `factura.pagada` event (`importe` None) on day d is "the rest" (a
   later one pays nothing while that one stands): what the invoice
   still owed on d, its total less the payments counted on d (dated d or before, and not
   returned by then: one returned later did count, and its return reopens the invoice)
   and less the credit of the credit notes naming it issued by d; never negative. A
   payment dated after d was paid beyond the rest: the client's money, not a smaller rest.
2. **Owed**: a live invoice of positive total owes `total − payments` (at least 0); what
   was paid beyond its total is the client's money (`saldo_a_favor`), as is every payment
   on a cancelled invoice.
3. **Credit notes** (live, negative total) offer `−total` less any refund paid out on
   them. Each first settles the invoice it names (`rectifica`, if that invoice is the
   same client's, live and still owed); then every credit left, credit notes oldest
   first, settles the client's open invoices oldest first (issue date, then id).
   Credit nobody owes is `saldo_a_favor`.
4. `pendiente` = owed − credit applied. An invoice with `pendiente` 0 that payments
   settled has a settlement date: the date of the payment that completed what was owed
   (total − credit); settled by credit alone, it has none.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

CERO = Decimal("0.00")


@dataclass(frozen=True)
class Apunte:
    """An invoice as the ledger reads it."""

    factura_id: str
    fecha_emision: date
    total: Decimal
    anulada: bool = False
    rectifica: str | None = None


@dataclass(frozen=True)
class Pago:
    """A payment of an invoice; `importe` None settles the rest (`factura.pagada`)."""

    cobro_id: str
    factura_id: str
    fecha: date | None
    importe: Decimal | None
    devuelto: bool = False
    fecha_devolucion: date | None = None  # when it came back (None: long ago)

    def contaba_el(self, dia: date) -> bool:
        """Counted on `dia`: paid by then (or undated) and not returned by then."""
        if self.fecha is not None and self.fecha > dia:
            return False
        return not self.devuelto or (
            self.fecha_devolucion is not None and self.fecha_devolucion > dia
        )


@dataclass
class Liquidacion:
    """The ledger's verdict for one client."""

    pendiente: dict[str, Decimal] = field(default_factory=dict)
    credito_aplicado: dict[str, Decimal] = field(default_factory=dict)
    fecha_liquidacion: dict[str, date | None] = field(default_factory=dict)
    importe_pago: dict[str, Decimal] = field(default_factory=dict)  # live payments, resolved
    saldo_a_favor: Decimal = CERO


def resto(total: Decimal, explicitos: Decimal) -> Decimal:
    """What a `factura.pagada` settlement pays: the invoice's total less what payments
    and credit already covered, never negative (a credit note's settlement pays nothing)."""
    return max(CERO, total - explicitos) if total > 0 else CERO


def _resto_el(
    apunte: Apunte, pago: Pago, todos: Sequence[Pago], abonos: Sequence[tuple[date, Decimal]]
) -> Decimal:
    """The rest a `factura.pagada` settlement pays on its day (module docstring, step 1).
    Undated (rows from before payments had dates): the total less every live payment."""
    dia = pago.fecha
    if dia is None:
        vivos = (p.importe for p in todos if p.importe is not None and not p.devuelto)
        return resto(apunte.total, sum(vivos, CERO))
    pagado = sum((p.importe for p in todos if p.importe is not None and p.contaba_el(dia)), CERO)
    abonado = sum((credito for emitida, credito in abonos if emitida <= dia), CERO)
    return resto(apunte.total, pagado + abonado)


def _orden(apunte: Apunte) -> tuple[date, str]:
    return apunte.fecha_emision, apunte.factura_id


def _orden_pago(pago: Pago) -> tuple[date, str]:
    return pago.fecha or date.min, pago.cobro_id


def liquidar(apuntes: Sequence[Apunte], pagos: Sequence[Pago]) -> Liquidacion:
    """Apply payments and credit notes to the client's invoices (module docstring)."""
    resultado = Liquidacion()
    por_factura: dict[str, list[Pago]] = defaultdict(list)
    todos: dict[str, list[Pago]] = defaultdict(list)  # returned ones too
    for pago in pagos:
        todos[pago.factura_id].append(pago)
        if not pago.devuelto:
            por_factura[pago.factura_id].append(pago)
    conocidas = {a.factura_id: a for a in apuntes}
    saldo = CERO
    abonos = _abonos_por_factura(apuntes, por_factura)

    pagado: dict[str, Decimal] = {}
    for apunte in apuntes:
        vivos = sorted(por_factura.get(apunte.factura_id, []), key=_orden_pago)
        explicito = sum((p.importe for p in vivos if p.importe is not None), CERO)
        resto_pagado = False
        for pago in vivos:
            if pago.importe is None:
                # The earliest live settlement pays the rest; a later one (another day's
                # `pagada`, waiting in case that one comes back) pays nothing.
                liquidado = (
                    CERO
                    if resto_pagado
                    else _resto_el(
                        apunte, pago, todos[apunte.factura_id], abonos.get(apunte.factura_id, [])
                    )
                )
                resto_pagado = True
                resultado.importe_pago[pago.cobro_id] = liquidado
                explicito += liquidado
            else:
                resultado.importe_pago[pago.cobro_id] = pago.importe
        pagado[apunte.factura_id] = explicito
    # Payments of invoices the ledger does not hold (never happens: the row comes first).
    for factura_id, vivos in por_factura.items():
        if factura_id not in conocidas:
            for pago in vivos:
                resultado.importe_pago[pago.cobro_id] = pago.importe or CERO

    debe: dict[str, Decimal] = {}
    creditos: list[tuple[Apunte, Decimal]] = []
    for apunte in sorted(apuntes, key=_orden):
        pagos_de = pagado[apunte.factura_id]
        resultado.credito_aplicado[apunte.factura_id] = CERO
        if apunte.anulada:
            saldo += pagos_de
        elif apunte.total > 0:
            debe[apunte.factura_id] = max(CERO, apunte.total - pagos_de)
            saldo += max(CERO, pagos_de - apunte.total)
        elif apunte.total < 0:
            creditos.append((apunte, max(CERO, -apunte.total - pagos_de)))

    def aplicar(credito: Decimal, factura_id: str) -> Decimal:
        usado = min(credito, debe[factura_id])
        debe[factura_id] -= usado
        resultado.credito_aplicado[factura_id] += usado
        return credito - usado

    restos: list[Decimal] = []
    for nota, credito in creditos:
        if nota.rectifica in debe:
            credito = aplicar(credito, nota.rectifica)
        restos.append(credito)
    abiertas = [a.factura_id for a in sorted(apuntes, key=_orden) if a.factura_id in debe]
    for credito in restos:
        for factura_id in abiertas:
            if credito <= 0:
                break
            if debe[factura_id] > 0:
                credito = aplicar(credito, factura_id)
        saldo += credito

    for apunte in apuntes:
        resultado.pendiente[apunte.factura_id] = debe.get(apunte.factura_id, CERO)
        resultado.fecha_liquidacion[apunte.factura_id] = _fecha_liquidacion(
            apunte, por_factura.get(apunte.factura_id, []), resultado
        )
    resultado.saldo_a_favor = saldo
    return resultado


def _abonos_por_factura(
    apuntes: Sequence[Apunte], por_factura: dict[str, list[Pago]]
) -> dict[str, list[tuple[date, Decimal]]]:
    """Per invoice, the credit notes that name it: (issue date, credit offered). A credit
    note's own payments are refunds paid out on it (its settlement pays nothing)."""
    abonos: dict[str, list[tuple[date, Decimal]]] = defaultdict(list)
    for nota in apuntes:
        if nota.anulada or nota.total >= 0 or nota.rectifica is None:
            continue
        reembolsado = sum(
            (p.importe for p in por_factura.get(nota.factura_id, []) if p.importe is not None),
            CERO,
        )
        credito = max(CERO, -nota.total - reembolsado)
        if credito > 0:
            abonos[nota.rectifica].append((nota.fecha_emision, credito))
    return abonos


def _fecha_liquidacion(apunte: Apunte, vivos: list[Pago], resultado: Liquidacion) -> date | None:
    """The date of the payment that completed what the invoice owed, if payments did."""
    if apunte.anulada or apunte.total <= 0 or resultado.pendiente[apunte.factura_id] > 0:
        return None
    objetivo = apunte.total - resultado.credito_aplicado[apunte.factura_id]
    if objetivo <= 0:
        return None  # settled by credit alone
    acumulado = CERO
    for pago in sorted(vivos, key=_orden_pago):
        acumulado += resultado.importe_pago.get(pago.cobro_id, CERO)
        if acumulado >= objetivo:
            return pago.fecha
    return None
