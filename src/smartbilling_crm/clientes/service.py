"""Clients: creation and edition rules, the client 360, the list, GDPR export and erasure."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import TypeAdapter
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session

from smartbilling_crm.actividades import service as actividades_service
from smartbilling_crm.clientes import repository as clientes_repo
from smartbilling_crm.clientes.cache import Cache360, Cuerpo, Marca, etiquetar
from smartbilling_crm.clientes.schemas import (
    ClienteCreate,
    ClienteDatos,
    ClienteList,
    ClienteRead,
    ClienteSimple,
    ClienteUpdate,
    ExportacionCliente,
)
from smartbilling_crm.contactos import service as contactos_service
from smartbilling_crm.dominio import EstadoCliente, RiesgoImpago, SaludGeneral
from smartbilling_crm.facturacion import service as facturacion_service
from smartbilling_crm.kit import repository as base_repo
from smartbilling_crm.kit.contexto import Contexto
from smartbilling_crm.kit.excepciones import ConflictError, InvalidInputError
from smartbilling_crm.kit.parches import cambios
from smartbilling_crm.kit.validators import (
    BUSQUEDA_MAX,
    clave_nombre,
    clave_sector,
    fold,
    tax_id_is_valid,
)
from smartbilling_crm.models import Cliente, SaludCliente
from smartbilling_crm.oportunidades import service as oportunidades_service
from smartbilling_crm.salud import service as salud_service

ACTIVIDADES_RECIENTES = 10
_JSON_360 = TypeAdapter(ClienteRead)
# The list's filter, for callers outside this feature (the panel) that may not read the
# repository.
FiltroClientes = clientes_repo.FiltroClientes


def _search_text(cliente: Cliente) -> str:
    texto = " ".join(
        fold(part)
        for part in (cliente.nombre_empresa, cliente.email, cliente.cif_nif or "")
        if part
    )
    return texto[:BUSQUEDA_MAX]


def _sector_plegado(cliente: Cliente) -> str | None:
    return clave_sector(cliente.sector_industria) if cliente.sector_industria else None


def _check_unique(
    session: Session, cliente_id: str | None, email: str | None, cif_nif: str | None
) -> None:
    if email is not None:
        other = clientes_repo.get_by_email(session, email)
        if other is not None and other.id != cliente_id:
            raise ConflictError(
                f"Ya existe un cliente con el email '{email}'",
                errors=[{"campo": "email", "mensaje": "email duplicado", "tipo": "duplicado"}],
            )
    if cif_nif is not None:
        other = clientes_repo.get_by_cif_nif(session, cif_nif)
        if other is not None and other.id != cliente_id:
            raise ConflictError(
                f"Ya existe un cliente con el CIF/NIF '{cif_nif}'",
                errors=[{"campo": "cif_nif", "mensaje": "CIF/NIF duplicado", "tipo": "duplicado"}],
            )


def _estado_a_mano(estado: str) -> None:
    """The one state a client is put in by hand, on create as on PATCH."""
    if estado != EstadoCliente.CLIENTE_PERDIDO:
        raise InvalidInputError(
            "El estado lo calcula el sistema; a mano solo puede marcarse 'cliente_perdido' "
            "(una factura nueva lo reactiva), o null para que el sistema lo calcule de nuevo",
            field="estado",
        )


def _estado_del_sistema(cliente: Cliente) -> str:
    """What `estado: null` leaves before the client's refresh works its state out again: a
    client marked lost (by hand, or by mistake: it had no way back but a new invoice)
    starts from `prospecto`, which the lifecycle rule (`salud.motor.metricas.calcular_estado`)
    turns into what its purchases say; any other state is the system's already."""
    if cliente.estado == EstadoCliente.CLIENTE_PERDIDO:
        return str(EstadoCliente.PROSPECTO)
    return cliente.estado


def _primer_contacto_pasado(ctx: Contexto, instante: datetime | None) -> None:
    """A first contact is something that happened: not after today (business calendar,
    so any hour of today is accepted). A date typed wrong (2999) otherwise stayed for good."""
    if instante is not None and instante.astimezone(ctx.settings.tz).date() > ctx.hoy:
        raise InvalidInputError(
            f"fecha_primer_contacto {instante.astimezone(ctx.settings.tz).date():%d/%m/%Y} "
            "es posterior a hoy: el primer contacto ya ha ocurrido",
            field="fecha_primer_contacto",
        )


def registrar(ctx: Contexto, data: ClienteCreate) -> Cliente:
    """Create a client; its health row and alerts follow at commit (it is touched)."""
    if data.estado is not None:
        _estado_a_mano(data.estado)
    if data.id is not None and base_repo.get(ctx.session, Cliente, data.id) is not None:
        raise ConflictError(
            f"Ya existe un cliente con id '{data.id}'",
            errors=[{"campo": "id", "mensaje": "id duplicado", "tipo": "duplicado"}],
        )
    _primer_contacto_pasado(ctx, data.fecha_primer_contacto)
    _check_unique(ctx.session, None, data.email, data.cif_nif)
    fields = data.model_dump(exclude_unset=True, exclude={"id"})
    if fields.get("estado") is None:
        fields.pop("estado", None)  # null is no state given: the column's default
    cliente = Cliente(**fields)
    if data.id is not None:
        cliente.id = data.id
    cliente.fecha_primer_contacto = data.fecha_primer_contacto or ctx.now
    cliente.fecha_creacion = ctx.now
    cliente.fecha_actualizacion = ctx.now
    cliente.cif_nif_valido = tax_id_is_valid(data.cif_nif) if data.cif_nif else None
    cliente.busqueda = _search_text(cliente)
    cliente.nombre_orden = clave_nombre(cliente.nombre_empresa)
    cliente.sector_plegado = _sector_plegado(cliente)
    ctx.session.add(cliente)
    base_repo.flush(ctx.session)
    ctx.tocar(cliente.id, fila=cliente)
    return cliente


def crear(ctx: Contexto, data: ClienteCreate) -> ClienteRead:
    """Create a client and answer its 360 (the health engines run once)."""
    return obtener_360(ctx, registrar(ctx, data).id)


def modificar(ctx: Contexto, cliente_id: str, data: ClienteUpdate) -> Cliente:
    """Apply a partial update; `estado` only accepts `cliente_perdido` (set by hand), or
    null: the state is the system's again (`_estado_del_sistema`)."""
    cliente = base_repo.cliente_o_404(ctx.session, cliente_id)
    changes = cambios(data, Cliente, nulo_con_sentido={"estado"})
    if changes.get("estado", "") is None:
        changes["estado"] = _estado_del_sistema(cliente)
    elif "estado" in changes:
        _estado_a_mano(changes["estado"])
    if "fecha_primer_contacto" in changes:
        _primer_contacto_pasado(ctx, changes["fecha_primer_contacto"])
    _check_unique(ctx.session, cliente_id, changes.get("email"), changes.get("cif_nif"))
    if "estado" in changes and ctx.tocado(cliente_id):
        # Marking a client lost by hand comes after what this unit of work already did to
        # it (say, an invoice that reactivated it): settle that first, so the order holds.
        ctx.confirmar()
    for name, value in changes.items():
        setattr(cliente, name, value)
    if "cif_nif" in changes:
        cliente.cif_nif_valido = tax_id_is_valid(cliente.cif_nif) if cliente.cif_nif else None
    cliente.busqueda = _search_text(cliente)
    cliente.nombre_orden = clave_nombre(cliente.nombre_empresa)
    cliente.sector_plegado = _sector_plegado(cliente)
    cliente.fecha_actualizacion = ctx.now
    base_repo.flush(ctx.session)
    ctx.tocar(cliente.id, fila=cliente)
    return cliente


def actualizar(ctx: Contexto, cliente_id: str, data: ClienteUpdate) -> ClienteRead:
    """Apply a partial update and answer the client 360."""
    return obtener_360(ctx, modificar(ctx, cliente_id, data).id)


def obtener_360(ctx: Contexto, cliente_id: str) -> ClienteRead:
    """The client 360 as of today, from its stored health row: a fixed, small number of
    statements whatever its size, and no health engine unless the row is stale
    (`salud.lectura.vigente`: the first read of a day recomputes it once)."""
    cliente, salud = salud_service.vigente(ctx, cliente_id)
    return ClienteRead.model_validate(
        {
            **dict(ClienteDatos.model_validate(cliente)),
            "estado": EstadoCliente(cliente.estado),
            "riesgo_impago": RiesgoImpago(cliente.riesgo_impago),
            "contactos": contactos_service.de_cliente(ctx.session, cliente_id),
            "actividades_recientes": actividades_service.recientes(
                ctx.session, cliente_id, ACTIVIDADES_RECIENTES
            ),
            "oportunidades_abiertas": oportunidades_service.abiertas(ctx.session, cliente_id),
            "salud": salud_service.salud_de(salud),
        }
    )


def guardada_360(
    conexion: Any, dialecto: Dialect, cliente_id: str, cache: Cache360, hoy: date
) -> tuple[Marca | None, Cuerpo | None]:
    """The client's stamp (one statement on a driver connection) and its kept 360, if
    it was kept at that stamp today (`clientes.cache`)."""
    marca = clientes_repo.marca_360(conexion, dialecto, cliente_id)
    if marca is None:
        cache.olvidar(cliente_id)  # erased (or not there yet): nothing of it stays here
        return None, None
    return marca, cache.leer(cliente_id, marca, hoy)


def obtener_360_json(
    ctx: Contexto, cliente_id: str, cache: Cache360, antes: Marca | None
) -> Cuerpo:
    """The client 360 as the response's bytes, built; kept if the client's stamp after
    building it is still `antes`, read before (`clientes.cache`)."""
    # Serialised as FastAPI serialises a `response_model` (pydantic's JSON, aliases).
    cuerpo = etiquetar(_JSON_360.dump_json(obtener_360(ctx, cliente_id), by_alias=True))
    if antes is not None and clientes_repo.marca_360_en(ctx.session, cliente_id) == antes:
        cache.guardar(cliente_id, antes, ctx.hoy, cuerpo)
    return cuerpo


def listar(session: Session, filtro: clientes_repo.FiltroClientes) -> ClienteList:
    """A page of clients with the health columns the list shows."""
    rows, total = clientes_repo.list_page(session, filtro)
    clientes = [
        ClienteSimple.model_validate(cliente).model_copy(update=_health_columns(salud))
        for cliente, salud in rows
    ]
    return ClienteList(total=total, skip=filtro.skip, limit=filtro.limit, clientes=clientes)


def _health_columns(salud: SaludCliente | None) -> dict[str, Any]:
    if salud is None:
        return {}
    return {
        "dias_sin_actividad": salud.dias_sin_actividad,
        "riesgo_perdida_score": salud.riesgo_perdida_score,
        "salud_general": SaludGeneral(salud.salud_general),
    }


def borrar(ctx: Contexto, cliente_id: str) -> None:
    """GDPR erasure: the client and everything about it (contacts, timeline, pipeline,
    ledger); its webhook records keep only a hash of their ids (exactly once).

    The client's row is locked first, as every writer of a client does: a delivery for it
    arriving meanwhile (the invoice hook locks the client, then records its webhook id)
    waits, then finds no client, instead of deadlocking on the webhook records this
    erasure rewrites."""
    base_repo.asegurar_cliente(ctx.session, cliente_id, bloquear=True)
    facturacion_service.olvidar_cliente(ctx.session, cliente_id, ctx.now)
    clientes_repo.delete_cliente(ctx.session, cliente_id)


def exportar(ctx: Contexto, cliente_id: str) -> ExportacionCliente:
    """GDPR portability: every stored fact about the client as one document."""
    cliente = base_repo.cliente_o_404(ctx.session, cliente_id)
    return ExportacionCliente(
        fecha_exportacion=ctx.now,
        cliente=ClienteDatos.model_validate(cliente),
        contactos=contactos_service.de_cliente(ctx.session, cliente_id),
        actividades=actividades_service.de_cliente(ctx.session, cliente_id),
        oportunidades=oportunidades_service.de_cliente(ctx.session, cliente_id),
        facturas=facturacion_service.de_cliente(ctx.session, cliente_id),
        salud=salud_service.salud(ctx, cliente_id),
        recomendaciones=salud_service.recomendaciones(ctx, cliente_id),
    )


def existe(session: Session, cliente_id: str) -> bool:
    """Whether a client with this id is in the CRM."""
    return clientes_repo.exists(session, cliente_id)
