"""Payments and returned payments of the ledger (contract §7), and the client's re-settlement.

A payment is kept by its id in SmartBilling (`cobro.id`), so a repeated event finds it;
a returned payment stays, marked `devuelto`, and never counts again ("recibo devuelto").
`factura.pagada` is the payment "{factura.id}/pagada", which settles whatever the other
payments left, so it can be returned like any other. A `pagada` of another day is a payment
of its own, "{factura.id}/pagada/AAAA-MM-DD" (`registrar_pagada`); each return naming
"{factura.id}/pagada" takes the earliest day not yet returned and only the earliest live one
settles (`_repartir_devoluciones`), so a debit returned and presented again ends paid
whatever order the events arrive in.

After any change the whole client is re-settled by `facturacion.libro.liquidar` and each
invoice's `pendiente`, `credito_aplicado` and settlement date (`fecha_pago`) are written
back: the result does not depend on the order the events arrived in.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

from smartbilling_crm.dominio import TipoActividad
from smartbilling_crm.facturacion import repository as facturas_repo
from smartbilling_crm.facturacion.libro import Apunte, Liquidacion, Pago, liquidar
from smartbilling_crm.facturacion.schemas import SUFIJO_PAGADA, CobroCompleto, CobroIn
from smartbilling_crm.kit import repository as base_repo
from smartbilling_crm.kit.contexto import Contexto
from smartbilling_crm.kit.excepciones import ConflictError
from smartbilling_crm.kit.formato import euros, fecha
from smartbilling_crm.models import Actividad, Cobro, Factura


def id_pagada(factura_id: str) -> str:
    return factura_id + SUFIJO_PAGADA


def _fila(
    ctx: Contexto, cobro_id: str, factura: Factura, leidos: list[Cobro] | None = None
) -> tuple[Cobro, bool]:
    """The payment `cobro_id` of `factura`, new if the CRM does not have it; `leidos`: the
    rows of a read that would have found it (`facturas_repo.cobros_de`), so none is made."""
    if leidos is not None:
        fila = next((c for c in leidos if c.cobro_id == cobro_id), None)
    else:
        # Payments added earlier in this unit of work (another invoice of the same
        # backfill) must be found by id, not inserted twice.
        base_repo.flush(ctx.session)
        fila = facturas_repo.get_cobro(ctx.session, cobro_id)
    if fila is None:
        fila = Cobro(
            cobro_id=cobro_id,
            factura_id=factura.factura_id,
            cliente_id=factura.cliente_id,
            devuelto=False,
            fecha_creacion=ctx.now,
            fecha_actualizacion=ctx.now,
        )
        ctx.session.add(fila)
        return fila, True
    if fila.factura_id != factura.factura_id:
        raise ConflictError(
            f"El cobro '{cobro_id}' ya está registrado para otra factura ('{fila.factura_id}')"
        )
    return fila, False


def es_de_pagada(cobro: Cobro) -> bool:
    """The payment of a `factura.pagada` event: "{id}/pagada", or one of another day,
    "{id}/pagada/AAAA-MM-DD" (ids a sender's payments cannot take: `schemas.de_pagada`)."""
    base = id_pagada(cobro.factura_id)
    return cobro.cobro_id == base or cobro.cobro_id.startswith(base + "/")


def _leer_pagadas(ctx: Contexto, factura: Factura, *ids: str) -> tuple[list[Cobro], list[Cobro]]:
    """The invoice's `factura.pagada` payments, returned ones too, and the rows read to
    find them: its payments and those of `ids` (one statement)."""
    base_repo.flush(ctx.session)
    leidos = list(facturas_repo.cobros_de(ctx.session, factura.factura_id, ids))
    suyos = [c for c in leidos if c.factura_id == factura.factura_id and es_de_pagada(c)]
    return suyos, leidos


def orden_de_pagada(cobro: Cobro) -> tuple[date, str]:
    return cobro.fecha or date.min, cobro.cobro_id


def _repartir_devoluciones(
    ctx: Contexto, factura: Factura, pagadas: list[Cobro], leidos: list[Cobro], nueva: bool
) -> None:
    """The invoice's `pagada` payments as a set of days and a count of returns: each
    return takes the earliest day not yet returned (a debit comes back before it is
    presented again), so the same events give the same rows in any order they arrive. A
    return with no day to take yet is an undated row, dated by the next `pagada`.
    `nueva`: one more return, received today."""
    devoluciones = sorted(c.fecha_devolucion or date.min for c in pagadas if c.devuelto)
    if nueva:
        devoluciones.append(ctx.hoy)
    fechadas = sorted((c for c in pagadas if c.fecha is not None), key=orden_de_pagada)
    for i, cobro in enumerate(fechadas):
        devuelto = i < len(devoluciones)
        cuando = devoluciones[i] if devuelto and devoluciones[i] != date.min else None
        if (cobro.devuelto, cobro.fecha_devolucion) != (devuelto, cuando):
            cobro.devuelto, cobro.fecha_devolucion = devuelto, cuando
            cobro.fecha_actualizacion = ctx.now
    # The returns no day took yet, one undated row each (an existing one kept first).
    sin_dia = devoluciones[len(fechadas) :]
    sin_fecha = [c for c in pagadas if c.fecha is None]
    for cobro in sin_fecha[len(sin_dia) :]:
        ctx.session.delete(cobro)
    usados = {c.cobro_id for c in pagadas}
    base = id_pagada(factura.factura_id)
    for i, cuando in enumerate(sin_dia):
        if i < len(sin_fecha):
            cobro = sin_fecha[i]
        else:
            cobro_id = base if base not in usados else ""
            k = 1
            while not cobro_id or cobro_id in usados:
                cobro_id, k = f"{base}/devuelto-{k}", k + 1
            usados.add(cobro_id)
            cobro, _ = _fila(ctx, cobro_id, factura, leidos)
        cobro.devuelto = True
        cobro.fecha_devolucion = cuando if cuando != date.min else None
        cobro.fecha_actualizacion = ctx.now


def registrar_pagada(ctx: Contexto, factura: Factura, fecha_pago: date) -> bool:
    """The invoice paid in full on `fecha_pago`: a payment of that day, "{id}/pagada" the
    first, "{id}/pagada/AAAA-MM-DD" another day. The returns naming "{id}/pagada" take
    the earliest days (`_repartir_devoluciones`) and only the earliest live day settles
    (`libro.liquidar`), so the earliest date reported stays and a debit returned and
    presented again ends paid whatever order the events arrive in. A day already
    recorded is a repeat; a return received before any `pagada` is dated by the next."""
    base = id_pagada(factura.factura_id)
    del_dia = f"{base}/{fecha_pago.isoformat()}"
    pagadas, leidos = _leer_pagadas(ctx, factura, base, del_dia)
    if any(c.fecha == fecha_pago for c in pagadas):
        return False
    fila = next((c for c in pagadas if c.fecha is None), None)
    if fila is None:
        fila, _ = _fila(ctx, del_dia if pagadas else base, factura, leidos)
        pagadas.append(fila)
    fila.fecha = fecha_pago
    fila.importe = None
    fila.fecha_actualizacion = ctx.now
    _repartir_devoluciones(ctx, factura, pagadas, leidos, nueva=False)
    return True


def registrar_cobro(ctx: Contexto, factura: Factura, cobro: CobroIn | CobroCompleto) -> bool:
    """A (partial) payment; its latest description wins, a returned one stays returned."""
    fila, nueva = _fila(ctx, cobro.id, factura)
    antes = (fila.fecha, fila.importe)
    fila.fecha = cobro.fecha
    fila.importe = cobro.importe
    cambiado = nueva or antes != (fila.fecha, fila.importe)
    if cambiado:
        fila.fecha_actualizacion = ctx.now
    return cambiado


def registrar_devolucion(ctx: Contexto, factura: Factura, cobro: CobroIn) -> bool:
    """The payment came back: the invoice reopens. Known or not yet, it is kept returned.
    "{id}/pagada" is one more return of the invoice's `pagada` payments: it takes the
    earliest day not returned yet (`_repartir_devoluciones`)."""
    if cobro.id == id_pagada(factura.factura_id):
        pagadas, leidos = _leer_pagadas(ctx, factura, cobro.id)
        _repartir_devoluciones(ctx, factura, pagadas, leidos, nueva=True)
        return True
    fila, nueva = _fila(ctx, cobro.id, factura)
    if nueva:
        fila.fecha = cobro.fecha
        fila.importe = cobro.importe
    if fila.devuelto:
        return False
    fila.devuelto = True
    fila.fecha_devolucion = ctx.hoy
    fila.fecha_actualizacion = ctx.now
    return True


def reliquidar(
    ctx: Contexto, cliente_id: str
) -> tuple[Liquidacion, list[Cobro], list[Factura], list[Factura]]:
    """Settle the client's ledger again and write each invoice's outcome back; also returns
    the payments, the invoices whose outcome changed (a credit note settles older invoices
    too) and all the client's invoices."""
    facturas = facturas_repo.list_of_cliente(ctx.session, cliente_id)
    cobros = list(facturas_repo.cobros_of_cliente(ctx.session, cliente_id))
    resultado = liquidar(
        [Apunte(f.factura_id, f.fecha_emision, f.total, f.anulada, f.rectifica) for f in facturas],
        [
            Pago(c.cobro_id, c.factura_id, c.fecha, c.importe, c.devuelto, c.fecha_devolucion)
            for c in cobros
        ],
    )
    for cobro in cobros:  # what each `factura.pagada` settled, for the health engines
        liquidado = resultado.importe_pago.get(cobro.cobro_id)
        if cobro.importe is None and liquidado is not None and cobro.importe_liquidado != liquidado:
            cobro.importe_liquidado = liquidado
    cambiadas: list[Factura] = []
    for factura in facturas:
        nuevo = (
            resultado.pendiente[factura.factura_id],
            resultado.credito_aplicado[factura.factura_id],
            resultado.fecha_liquidacion[factura.factura_id],
        )
        if (factura.pendiente, factura.credito_aplicado, factura.fecha_pago) != nuevo:
            factura.pendiente, factura.credito_aplicado, factura.fecha_pago = nuevo
            factura.fecha_actualizacion = ctx.now
            cambiadas.append(factura)
    return resultado, cobros, cambiadas, list(facturas)


def _a_instante(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0, 0), tzinfo=tz)


def _devolucion(cobro: Cobro, cuando: date) -> str:
    """One returned payment in the timeline, with its amount where the CRM knows it."""
    if cobro.importe is not None:
        return f"Devuelto el cobro de {euros(cobro.importe)} el {fecha(cuando)}."
    if es_de_pagada(cobro) and cobro.fecha is not None:
        # A `factura.pagada` carries no amount: its payment settled what the invoice owed.
        pagada = fecha(cobro.fecha)
        return f"Devuelto el pago del {pagada} (el que saldaba la factura) el {fecha(cuando)}."
    # The return of a payment that never reached the CRM (the contract asks only its id):
    # nothing says how much it was, and the timeline says so rather than print no amount.
    return (
        f"Devuelto el cobro '{cobro.cobro_id}' el {fecha(cuando)}: el CRM no lo tenía "
        "registrado, importe desconocido."
    )


def actualizar_historial_pagos(
    ctx: Contexto,
    factura: Factura,
    cobros: list[Cobro],
    liquidacion: Liquidacion,
    existentes: Mapping[tuple[str, str], Actividad],
) -> None:
    """The invoice's one `pago` timeline entry: what was collected, returned and still owed.

    `existentes`: the timeline entries of the invoices being annotated, by (invoice, type)."""
    propios = [c for c in cobros if c.factura_id == factura.factura_id]
    vivos = [c for c in propios if not c.devuelto and c.fecha is not None]
    # Of its live `pagada` payments only the earliest settled anything: the others wait.
    pagadas = sorted((c for c in vivos if es_de_pagada(c)), key=orden_de_pagada)
    vivos = [c for c in vivos if not es_de_pagada(c) or c is pagadas[0]]
    devueltos = [c for c in propios if c.devuelto]
    if not vivos and not devueltos:
        return
    actividad = existentes.get((factura.factura_id, TipoActividad.PAGO))
    cobrado = sum((liquidacion.importe_pago.get(c.cobro_id, Decimal(0)) for c in vivos), Decimal(0))
    if vivos and factura.pendiente <= 0:
        titulo = f"Pago de la factura {factura.numero}"
    elif vivos:
        titulo = f"Cobro parcial de la factura {factura.numero}"
    else:
        titulo = f"Cobro devuelto de la factura {factura.numero}"
    partes = []
    if vivos:
        ultima = max(c.fecha for c in vivos if c.fecha is not None)
        if len(vivos) == 1:
            partes.append(f"Cobrados {euros(cobrado)} el {fecha(ultima)}.")
        else:
            partes.append(
                f"Cobrados {euros(cobrado)} en {len(vivos)} cobros (el último, el {fecha(ultima)})."
            )
    for devuelto in devueltos:
        partes.append(_devolucion(devuelto, devuelto.fecha_devolucion or ctx.hoy))
    if factura.pendiente > 0:
        partes.append(f"Quedan {euros(factura.pendiente)} pendientes.")
    momentos = [c.fecha for c in vivos if c.fecha is not None]
    momentos += [c.fecha_devolucion for c in devueltos if c.fecha_devolucion is not None]
    cuando_actividad = _a_instante(max(momentos, default=ctx.hoy), ctx.settings.tz)
    if actividad is None:
        actividad = Actividad(
            cliente_id=factura.cliente_id,
            tipo=TipoActividad.PAGO,
            factura_id=factura.factura_id,
            fecha_creacion=ctx.now,
        )
        ctx.session.add(actividad)
    actividad.titulo = titulo
    actividad.descripcion = " ".join(partes)
    actividad.fecha = cuando_actividad
    actividad.completada = True
