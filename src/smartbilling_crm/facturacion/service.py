"""The invoice ledger and the hook's exactly-once processing (contract §3).

Every event is applied in one transaction: the processed-id record, the ledger
row, the timeline entries, the client's LTV, purchase dates, lifecycle state and
health row. The client's row is locked first, so concurrent events of one client
are applied one after another; a repeated `webhook-id` changes nothing.

Merge rules, chosen so that any order of delivery ends in the same state:
- an invoice's data (number, dates, amounts, `rectifica`) are those of its latest event,
  unless the event's `version` is lower than the stored one (then it changes nothing
  and is answered `obsoleto`);
- payments are kept by id (`facturacion.cobros`): `fecha_pago` on any event is the
  payment "{id}/pagada" at the earliest date reported, so an `emitida` arriving after
  `pagada` does not un-pay; a returned payment stays returned;
- `anulada` is final: cancelled invoices leave LTV and every payment metric;
- after every change the client's ledger is settled again (`facturacion.libro`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from smartbilling_crm.dominio import TipoActividad
from smartbilling_crm.facturacion import cobros as cobros_service
from smartbilling_crm.facturacion import repository as facturas_repo
from smartbilling_crm.facturacion.schemas import (
    CobroRead,
    EventoFactura,
    FacturaIn,
    FacturaRead,
    ResultadoEvento,
    ResultadoImportacion,
    campos_desconocidos,
    cobro_fuera_de_rango,
    fechas_fuera_de_rango,
)
from smartbilling_crm.kit import repository as base_repo
from smartbilling_crm.kit.contexto import Contexto
from smartbilling_crm.kit.errores import errores_de_campo
from smartbilling_crm.kit.excepciones import ConflictError, InvalidInputError
from smartbilling_crm.kit.formato import euros, fecha
from smartbilling_crm.models import Actividad, Cliente, Factura

# The timeline entries the ledger writes: one `factura` and at most one `pago` per invoice.
HISTORIAL_DEL_LIBRO = (str(TipoActividad.FACTURA), str(TipoActividad.PAGO))


@dataclass(frozen=True)
class Cambio:
    """What applying one invoice did to the ledger."""

    nueva: bool
    modificada: bool
    compra_nueva: bool  # a live purchase the client did not have before


def _tipo_de(factura: FacturaIn) -> str:
    if factura.anulada:
        return "factura.anulada"
    return "factura.pagada" if factura.fecha_pago else "factura.emitida"


def _cliente_desconocido(factura: FacturaIn) -> InvalidInputError:
    return InvalidInputError(
        f"Cliente desconocido: {factura.cliente_no_encontrado()}. "
        "No se ha registrado nada; reintenta cuando el cliente exista",
        field="factura.cliente_id",
    )


def _a_instante(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0, 0), tzinfo=tz)


def _obsoleto(fila: Factura | None, factura: FacturaIn) -> bool:
    """The event describes an older version of the invoice than the one stored."""
    return (
        fila is not None
        and fila.version is not None
        and factura.version is not None
        and factura.version < fila.version
    )


def _aplicar_en_ledger(
    ctx: Contexto, cliente_id: str, factura: FacturaIn, tipo: str, fila: Factura | None
) -> tuple[Factura, Cambio]:
    """Apply the invoice's data to its ledger row `fila` (None: not stored yet)."""
    nueva = fila is None
    if fila is None:
        fila = Factura(
            factura_id=factura.id,
            cliente_id=cliente_id,
            fecha_creacion=ctx.now,
            fecha_actualizacion=ctx.now,
            anulada=False,
            # What a new invoice owes until the ledger is settled again (usually all).
            pendiente=max(factura.total, Decimal(0)),
            credito_aplicado=Decimal(0),
        )
        ctx.session.add(fila)
    elif fila.cliente_id != cliente_id:
        raise ConflictError(
            f"La factura '{factura.id}' ya está registrada para otro cliente ('{fila.cliente_id}')"
        )
    viva_antes = not nueva and not fila.anulada and fila.base_imponible > 0
    antes = _huella(fila) if not nueva else None
    fila.numero = factura.numero
    fila.fecha_emision = factura.fecha_emision
    # No due date: due CRM_PLAZO_PAGO_DIAS after issue, so it can fall overdue.
    fila.fecha_vencimiento = factura.fecha_vencimiento or (
        factura.fecha_emision + timedelta(days=ctx.settings.plazo_pago_dias)
    )
    fila.base_imponible = factura.base_imponible
    fila.total = factura.total
    fila.moneda = factura.moneda
    fila.rectifica = factura.rectifica
    if factura.version is not None:
        fila.version = factura.version
    if tipo == "factura.anulada" or factura.anulada:
        fila.anulada = True
    if nueva:
        # Its payments refer to it, and a backfill that lists it twice finds it (`get`).
        base_repo.flush(ctx.session)
    cobros_nuevos = False
    if factura.fecha_pago is not None:
        cobros_nuevos |= cobros_service.registrar_pagada(ctx, fila, factura.fecha_pago)
    for cobro in factura.cobros or ():
        cobros_nuevos |= cobros_service.registrar_cobro(ctx, fila, cobro)
    modificada = nueva or _huella(fila) != antes or cobros_nuevos
    if modificada and not nueva:
        fila.fecha_actualizacion = ctx.now
    viva_ahora = not fila.anulada and fila.base_imponible > 0
    # A purchase that can bring a lost client back: one recent enough to make it active
    # (an old invoice the backfill loads now is new to the CRM, not a purchase now).
    # One dated ahead is no purchase yet either (`salud.motor.metricas.figuras_libro`).
    reciente = 0 <= (ctx.hoy - fila.fecha_emision).days <= ctx.settings.dias_dormido
    return fila, Cambio(
        nueva=nueva,
        modificada=modificada,
        compra_nueva=viva_ahora and not viva_antes and reciente,
    )


def _huella(fila: Factura) -> tuple[object, ...]:
    return (
        fila.numero,
        fila.fecha_emision,
        fila.fecha_vencimiento,
        fila.base_imponible,
        fila.total,
        fila.anulada,
        fila.rectifica,
        fila.version,
    )


def _escribir_actividad(
    ctx: Contexto,
    fila: Factura,
    tipo: TipoActividad,
    titulo: str,
    descripcion: str,
    cuando: datetime,
    existentes: Mapping[tuple[str, str], Actividad],
) -> None:
    actividad = existentes.get((fila.factura_id, tipo))
    if actividad is None:
        actividad = Actividad(
            cliente_id=fila.cliente_id,
            tipo=tipo,
            factura_id=fila.factura_id,
            fecha_creacion=ctx.now,
        )
        ctx.session.add(actividad)
    actividad.titulo = titulo
    actividad.descripcion = descripcion
    actividad.fecha = cuando
    actividad.completada = True


def _numero_de(ctx: Contexto, factura_id: str, cliente_id: str) -> str:
    """The visible number of the client's invoice `factura_id` (the settlement has just
    loaded the client's ledger: no statement); its id when the CRM does not have it."""
    factura = ctx.session.get(Factura, factura_id)
    if factura is None or factura.cliente_id != cliente_id:
        return factura_id
    return factura.numero


def _actualizar_historial(
    ctx: Contexto, fila: Factura, tz: ZoneInfo, existentes: Mapping[tuple[str, str], Actividad]
) -> None:
    """One `factura` entry per invoice (its payments have their own, `facturacion.cobros`);
    updated, never duplicated."""
    clase = "Factura rectificativa" if fila.total < 0 else "Factura"
    estado = "anulada" if fila.anulada else "emitida"
    detalle = [f"Importe: {euros(fila.total)} (base imponible {euros(fila.base_imponible)})."]
    # Only what is to be paid falls due: never a credit note (contract §7), nor a 0 € invoice.
    if fila.fecha_vencimiento is not None and fila.total > 0:
        detalle.append(f"Vence el {fecha(fila.fecha_vencimiento)}.")
    if fila.rectifica:
        detalle.append(f"Rectifica la factura {_numero_de(ctx, fila.rectifica, fila.cliente_id)}.")
    if fila.fecha_pago is not None:
        detalle.append(f"Pagada el {fecha(fila.fecha_pago)}.")
    elif not fila.anulada and fila.total > 0 and fila.pendiente <= 0:
        detalle.append("Saldada con abonos.")
    _escribir_actividad(
        ctx,
        fila,
        TipoActividad.FACTURA,
        f"{clase} {fila.numero} {estado}",
        " ".join(detalle),
        _a_instante(fila.fecha_emision, tz),
        existentes,
    )


def _actualizar_cliente(ctx: Contexto, cliente: Cliente, compra_nueva: bool) -> None:
    # Stamped after the health refresh, so the client's row is written once, with its new
    # LTV and state (the refresh flushes the ledger first: stamped now, it would go alone).
    ctx.al_final(lambda: setattr(cliente, "fecha_actualizacion", ctx.now))
    # Locked by `lock_cliente` (FOR UPDATE) before anything was applied: the refresh
    # need not lock it again.
    ctx.tocar(cliente.id, compra_nueva=compra_nueva, fila=cliente, bloqueada=True)


def _comprobar_fechas(factura: FacturaIn, hoy: date, campo: str, detalle: str = "") -> None:
    """422 before anything is recorded for a date outside the accepted range."""
    problemas = fechas_fuera_de_rango(factura, hoy)
    if problemas:
        nombre, mensaje = problemas[0]
        raise InvalidInputError(f"{detalle}{mensaje}", field=f"{campo}{nombre}")


def procesar_evento(
    ctx: Contexto,
    webhook_id: str,
    evento: EventoFactura,
) -> ResultadoEvento:
    """Apply one signed event exactly once."""
    factura = evento.factura
    _comprobar_fechas(factura, ctx.hoy, "factura.")
    if evento.cobro is not None and (mensaje := cobro_fuera_de_rango(evento.cobro, ctx.hoy)):
        raise InvalidInputError(mensaje, field="cobro.fecha")
    # The client is locked first (every writer of a client takes its row before anything
    # else), then the id recorded: a concurrent delivery of the same id waits for this
    # transaction and then finds it recorded.
    cliente = facturas_repo.lock_cliente_de(ctx.session, factura.cliente_id, factura.cif_nif)
    if cliente is None:
        # A repeat is answered as one, not refused as if it were new: an id recorded for
        # another client's invoice (reused by the sender), or a delivery applied to a
        # client since erased (what it did is gone with the client; its pseudonymised
        # record keeps it a repeat).
        if (repetido := _repetido(ctx, webhook_id)) is not None:
            return repetido
        if facturas_repo.ya_aplicado(ctx.session, webhook_id):
            return ResultadoEvento(estado="duplicado", webhook_id=webhook_id, factura_id=factura.id)
        raise _cliente_desconocido(factura)
    cliente_id = cliente.id
    if not facturas_repo.record_event(ctx.session, webhook_id, evento.tipo, factura.id, ctx.now):
        return _repetido(ctx, webhook_id) or ResultadoEvento(
            estado="duplicado", webhook_id=webhook_id, factura_id=factura.id, cliente_id=cliente_id
        )
    guardada = facturas_repo.get(ctx.session, factura.id)
    if _obsoleto(guardada, factura):
        return ResultadoEvento(
            estado="obsoleto", webhook_id=webhook_id, factura_id=factura.id, cliente_id=cliente_id
        )
    fila, cambio = _aplicar_en_ledger(ctx, cliente_id, factura, evento.tipo, guardada)
    if evento.tipo == "factura.cobro" and evento.cobro is not None:
        cobros_service.registrar_cobro(ctx, fila, evento.cobro)
    elif evento.tipo == "factura.cobro_devuelto" and evento.cobro is not None:
        cobros_service.registrar_devolucion(ctx, fila, evento.cobro)
    _liquidar_y_anotar(ctx, cliente_id, [fila], nuevas={fila.factura_id} if cambio.nueva else set())
    _actualizar_cliente(ctx, cliente, cambio.compra_nueva)
    return ResultadoEvento(
        estado="procesado", webhook_id=webhook_id, factura_id=factura.id, cliente_id=cliente_id
    )


def _repetido(ctx: Contexto, webhook_id: str) -> ResultadoEvento | None:
    """The answer to a repeat: what its first delivery was applied to, whatever this body
    says (a sender that reused an id for another invoice learns that this one was not
    recorded). None when the id is not recorded as it came, also when its client has been
    erased since: that record keeps only a digest of the id, and the caller answers with
    the body's invoice."""
    registrado = facturas_repo.evento_registrado(ctx.session, webhook_id)
    if registrado is None:
        return None
    factura_id, cliente_id = registrado
    return ResultadoEvento(
        estado="duplicado", webhook_id=webhook_id, factura_id=factura_id, cliente_id=cliente_id
    )


def _liquidar_y_anotar(
    ctx: Contexto, cliente_id: str, filas: list[Factura], nuevas: set[str]
) -> None:
    """Settle the client's ledger again, then write the timeline of the invoices touched
    and of those whose outcome changed (an older invoice a credit note settled).

    `nuevas`: the ids of invoices this unit inserted. They have no timeline entry to look
    up: only this function writes entries with an invoice id, and an erasure removes a
    client's entries with its invoices."""
    base_repo.flush(ctx.session)
    liquidacion, cobros, cambiadas, todas = cobros_service.reliquidar(ctx, cliente_id)
    # The credit notes naming a touched invoice too: theirs says "Rectifica la factura …"
    # with its number, or with its id while the CRM did not have it (it arrived first).
    tocadas = {f.factura_id for f in filas}
    rectificativas = [f for f in todas if f.rectifica in tocadas]
    # Each invoice once (a backfill may list one twice), and those the settlement changed.
    anotar = list(dict.fromkeys([*filas, *cambiadas, *rectificativas]))
    # Their existing timeline entries in one statement, not one per invoice and type: the
    # first webhook of a client whose ledger the settlement rewrote touched a dozen invoices.
    if not anotar:  # a backfill whose invoices were all obsolete
        return
    consultar = [f.factura_id for f in anotar if f.factura_id not in nuevas]
    existentes = (
        facturas_repo.actividades_de(ctx.session, consultar, HISTORIAL_DEL_LIBRO)
        if consultar
        else {}
    )
    for fila in anotar:
        _actualizar_historial(ctx, fila, ctx.settings.tz, existentes)
        cobros_service.actualizar_historial_pagos(ctx, fila, cobros, liquidacion, existentes)


def importar(ctx: Contexto, facturas: list[FacturaIn]) -> ResultadoImportacion:
    """History backfill: the hook's ledger rules, idempotent by invoice id, all or nothing."""
    por_cliente: dict[str, list[FacturaIn]] = defaultdict(list)
    # Worded as the API words an unknown field of any body (`kit.errores`).
    desconocidos = errores_de_campo(
        {"type": "extra_forbidden", "loc": (posicion, *campo.split("."))}
        for posicion, factura in enumerate(facturas)
        for campo in campos_desconocidos(factura)
    )
    if desconocidos:
        resumen = "; ".join(f"{e['campo']}: {e['mensaje']}" for e in desconocidos[:5])
        raise InvalidInputError(f"Datos no válidos: {resumen}", errors=desconocidos)
    for posicion, factura in enumerate(facturas):
        _comprobar_fechas(factura, ctx.hoy, f"{posicion}.", f"facturas[{posicion}]: ")
        cliente_id = facturas_repo.find_cliente_id(ctx.session, factura.cliente_id, factura.cif_nif)
        if cliente_id is None:
            error = _cliente_desconocido(factura)
            raise InvalidInputError(
                f"facturas[{posicion}]: {error.detail}", field=f"{posicion}.cliente_id"
            )
        por_cliente[cliente_id].append(factura)
    nuevas = actualizadas = sin_cambios = 0
    afectados: set[str] = set()  # clients with an invoice new or changed by this import
    # Clients in a fixed order, so two concurrent imports cannot deadlock on their locks.
    for cliente_id in sorted(por_cliente):
        cliente = facturas_repo.lock_cliente(ctx.session, cliente_id)
        if cliente is None:
            raise InvalidInputError(f"El cliente '{cliente_id}' ya no existe", field="cliente_id")
        compra_nueva = False
        filas: list[Factura] = []
        nuevas_del_cliente: set[str] = set()
        for factura in por_cliente[cliente_id]:
            guardada = facturas_repo.get(ctx.session, factura.id)
            if _obsoleto(guardada, factura):
                sin_cambios += 1
                continue
            fila, cambio = _aplicar_en_ledger(ctx, cliente_id, factura, _tipo_de(factura), guardada)
            filas.append(fila)
            if cambio.nueva:
                nuevas_del_cliente.add(fila.factura_id)
            nuevas += cambio.nueva
            actualizadas += cambio.modificada and not cambio.nueva
            sin_cambios += not cambio.modificada
            if cambio.modificada:
                afectados.add(cliente_id)
            compra_nueva |= cambio.compra_nueva
        _liquidar_y_anotar(ctx, cliente_id, filas, nuevas_del_cliente)
        _actualizar_cliente(ctx, cliente, compra_nueva)
    return ResultadoImportacion(
        recibidas=len(facturas),
        nuevas=nuevas,
        actualizadas=actualizadas,
        sin_cambios=sin_cambios,
        clientes_afectados=len(afectados),
    )


def de_cliente(session: Session, cliente_id: str, *, con_cobros: bool = True) -> list[FacturaRead]:
    """The client's invoice ledger, oldest first, with each invoice's payments (GDPR
    export) unless `con_cobros` is False (the panel's charts read only the invoices)."""
    cobros: dict[str, list[CobroRead]] = defaultdict(list)
    if con_cobros:
        for cobro in facturas_repo.cobros_of_cliente(session, cliente_id):
            cobros[cobro.factura_id].append(CobroRead.model_validate(cobro))
    return [
        FacturaRead.model_validate(f).model_copy(update={"cobros": cobros[f.factura_id]})
        for f in facturas_repo.list_of_cliente(session, cliente_id)
    ]


def olvidar_cliente(session: Session, cliente_id: str, now: datetime) -> None:
    """GDPR erasure, the ledger's part: pseudonymise the client's webhook records (the
    ledger rows themselves go with the client, by cascade)."""
    facturas_repo.seudonimizar_eventos(session, cliente_id, now)
