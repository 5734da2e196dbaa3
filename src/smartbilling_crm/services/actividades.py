"""The activity timeline. `factura` and `pago` entries belong to the invoice hook."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from ..config import Settings
from ..errors import InvalidInputError, NotFoundError
from ..models import Actividad
from ..repositories import actividades as actividades_repo
from ..repositories import base as base_repo
from ..repositories import contactos as contactos_repo
from ..schemas.actividades import ActividadCreate, ActividadRead, ActividadUpdate
from ..schemas.common import TipoActividad
from . import clientes as clientes_service
from . import contactos as contactos_service
from . import salud_db
from .parches import cambios

TIPOS_DEL_SISTEMA = frozenset({TipoActividad.FACTURA, TipoActividad.PAGO})


def _refuse_system_tipo(tipo: str | None) -> None:
    if tipo in TIPOS_DEL_SISTEMA:
        raise InvalidInputError(
            f"Las actividades de tipo '{tipo}' las registra solo el webhook de facturación",
            field="tipo",
        )


def get_or_404(session: Session, cliente_id: str, actividad_id: str) -> Actividad:
    clientes_service.ensure_exists(session, cliente_id)
    actividad = actividades_repo.get_of_cliente(session, cliente_id, actividad_id)
    if actividad is None:
        raise NotFoundError(
            f"Actividad '{actividad_id}' no encontrada en el cliente '{cliente_id}'"
        )
    return actividad


def _record_interaction(session: Session, actividad: Actividad, now: datetime) -> None:
    # A contact's last interaction is the newest activity with them that has happened;
    # a task planned for next week is not an interaction yet.
    if actividad.contacto_id is not None and actividad.fecha <= now:
        contactos_repo.touch_interaction(session, actividad.contacto_id, actividad.fecha)


def crear(
    session: Session, cliente_id: str, data: ActividadCreate, settings: Settings, now: datetime
) -> ActividadRead:
    clientes_service.ensure_exists(session, cliente_id)
    _refuse_system_tipo(data.tipo)
    if data.contacto_id is not None:
        contactos_service.require_of_cliente(session, cliente_id, data.contacto_id, "contacto_id")
    fields = data.model_dump()
    fields["fecha"] = data.fecha or now
    actividad = Actividad(cliente_id=cliente_id, fecha_creacion=now, **fields)
    session.add(actividad)
    base_repo.flush(session)
    _record_interaction(session, actividad, now)
    salud_db.refrescar_por_id(session, cliente_id, settings, now)
    return ActividadRead.model_validate(actividad)


def listar(
    session: Session,
    cliente_id: str,
    *,
    skip: int,
    limite: int,
    tipo: str | None,
    pendientes: bool,
) -> list[ActividadRead]:
    clientes_service.ensure_exists(session, cliente_id)
    rows = actividades_repo.list_of_cliente(
        session, cliente_id, skip=skip, limit=limite, tipo=tipo, solo_tareas_pendientes=pendientes
    )
    return [ActividadRead.model_validate(a) for a in rows]


def obtener(session: Session, cliente_id: str, actividad_id: str) -> ActividadRead:
    return ActividadRead.model_validate(get_or_404(session, cliente_id, actividad_id))


def _refuse_system_entry(actividad: Actividad) -> None:
    if actividad.tipo in TIPOS_DEL_SISTEMA:
        raise InvalidInputError(
            "Las actividades de factura y pago las mantiene el webhook de facturación",
            field="tipo",
        )


def actualizar(
    session: Session,
    cliente_id: str,
    actividad_id: str,
    data: ActividadUpdate,
    settings: Settings,
    now: datetime,
) -> ActividadRead:
    actividad = get_or_404(session, cliente_id, actividad_id)
    _refuse_system_entry(actividad)
    changes = cambios(data, Actividad)
    _refuse_system_tipo(changes.get("tipo"))
    if changes.get("contacto_id") is not None:
        contactos_service.require_of_cliente(
            session, cliente_id, changes["contacto_id"], "contacto_id"
        )
    for name, value in changes.items():
        setattr(actividad, name, value)
    base_repo.flush(session)
    _record_interaction(session, actividad, now)
    salud_db.refrescar_por_id(session, cliente_id, settings, now)
    return ActividadRead.model_validate(actividad)


def borrar(
    session: Session, cliente_id: str, actividad_id: str, settings: Settings, now: datetime
) -> None:
    actividad = get_or_404(session, cliente_id, actividad_id)
    _refuse_system_entry(actividad)
    session.delete(actividad)
    base_repo.flush(session)
    salud_db.refrescar_por_id(session, cliente_id, settings, now)
