"""The activity timeline. `factura` and `pago` entries belong to the invoice hook."""

from __future__ import annotations

from sqlalchemy.orm import Session

from smartbilling_crm.actividades import repository as actividades_repo
from smartbilling_crm.actividades.schemas import ActividadCreate, ActividadRead, ActividadUpdate
from smartbilling_crm.contactos import service as contactos_service
from smartbilling_crm.dominio import TipoActividad
from smartbilling_crm.kit import repository as base_repo
from smartbilling_crm.kit.contexto import Contexto
from smartbilling_crm.kit.excepciones import ConflictError, InvalidInputError, NotFoundError
from smartbilling_crm.kit.parches import cambios
from smartbilling_crm.models import Actividad

TIPOS_DEL_SISTEMA = frozenset({TipoActividad.FACTURA, TipoActividad.PAGO})


def _refuse_system_tipo(tipo: str | None) -> None:
    if tipo in TIPOS_DEL_SISTEMA:
        raise InvalidInputError(
            f"Las actividades de tipo '{tipo}' las registra solo el webhook de facturación",
            field="tipo",
        )


def get_or_404(session: Session, cliente_id: str, actividad_id: str) -> Actividad:
    base_repo.asegurar_cliente(session, cliente_id)
    actividad = actividades_repo.get_of_cliente(session, cliente_id, actividad_id)
    if actividad is None:
        raise NotFoundError(
            f"Actividad '{actividad_id}' no encontrada en el cliente '{cliente_id}'"
        )
    return actividad


def _record_interaction(ctx: Contexto, actividad: Actividad) -> None:
    # A contact's last interaction is the newest activity with them that has happened;
    # a task planned for next week is not an interaction yet.
    if actividad.contacto_id is not None and actividad.fecha <= ctx.now:
        contactos_service.registrar_interaccion(ctx.session, actividad.contacto_id, actividad.fecha)


def crear(ctx: Contexto, cliente_id: str, data: ActividadCreate) -> ActividadRead:
    base_repo.asegurar_cliente(ctx.session, cliente_id)
    _refuse_system_tipo(data.tipo)
    if data.contacto_id is not None:
        contactos_service.require_of_cliente(
            ctx.session, cliente_id, data.contacto_id, "contacto_id"
        )
    fields = data.model_dump()
    fields["fecha"] = data.fecha or ctx.now
    actividad = Actividad(cliente_id=cliente_id, fecha_creacion=ctx.now, **fields)
    ctx.session.add(actividad)
    base_repo.flush(ctx.session)
    _record_interaction(ctx, actividad)
    ctx.tocar(cliente_id)
    return ActividadRead.model_validate(actividad)


def listar(
    session: Session,
    cliente_id: str,
    *,
    skip: int,
    limit: int,
    tipo: str | None,
    pendientes: bool,
) -> tuple[list[ActividadRead], int]:
    """A page of the timeline and the total number of entries that match."""
    base_repo.asegurar_cliente(session, cliente_id)
    rows, total = actividades_repo.page_of_cliente(
        session, cliente_id, skip=skip, limit=limit, tipo=tipo, solo_tareas_pendientes=pendientes
    )
    return [ActividadRead.model_validate(a) for a in rows], total


def obtener(session: Session, cliente_id: str, actividad_id: str) -> ActividadRead:
    return ActividadRead.model_validate(get_or_404(session, cliente_id, actividad_id))


def _refuse_system_entry(actividad: Actividad) -> None:
    # A 409, not a 422: any body is refused, because of the entry's owner, not the data.
    if actividad.tipo in TIPOS_DEL_SISTEMA:
        raise ConflictError(
            "Las actividades de factura y pago las mantiene el webhook de facturación: "
            "no se editan ni se borran a mano"
        )


def actualizar(
    ctx: Contexto,
    cliente_id: str,
    actividad_id: str,
    data: ActividadUpdate,
) -> ActividadRead:
    actividad = get_or_404(ctx.session, cliente_id, actividad_id)
    _refuse_system_entry(actividad)
    changes = cambios(data, Actividad)
    _refuse_system_tipo(changes.get("tipo"))
    if changes.get("contacto_id") is not None:
        contactos_service.require_of_cliente(
            ctx.session, cliente_id, changes["contacto_id"], "contacto_id"
        )
    for name, value in changes.items():
        setattr(actividad, name, value)
    base_repo.flush(ctx.session)
    _record_interaction(ctx, actividad)
    ctx.tocar(cliente_id)
    return ActividadRead.model_validate(actividad)


def borrar(ctx: Contexto, cliente_id: str, actividad_id: str) -> None:
    actividad = get_or_404(ctx.session, cliente_id, actividad_id)
    _refuse_system_entry(actividad)
    ctx.session.delete(actividad)
    base_repo.flush(ctx.session)
    ctx.tocar(cliente_id)


def de_cliente(session: Session, cliente_id: str) -> list[ActividadRead]:
    """The client's whole timeline, newest first (GDPR export)."""
    rows = actividades_repo.list_of_cliente(session, cliente_id, limit=None)
    return [ActividadRead.model_validate(a) for a in rows]


def recientes(session: Session, cliente_id: str, limit: int) -> list[ActividadRead]:
    """The newest `limit` entries of the timeline (the client 360)."""
    rows = actividades_repo.recientes(session, cliente_id, limit)
    return [ActividadRead.model_validate(a) for a in rows]
