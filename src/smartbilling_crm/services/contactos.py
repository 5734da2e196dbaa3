"""Contacts of a client; at most one principal contact per client."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from ..config import Settings
from ..errors import InvalidInputError, NotFoundError
from ..models import Contacto
from ..repositories import base as base_repo
from ..repositories import contactos as contactos_repo
from ..schemas.contactos import ContactoCreate, ContactoRead, ContactoUpdate
from . import clientes as clientes_service
from . import salud_db
from .parches import cambios


def get_or_404(session: Session, cliente_id: str, contacto_id: str) -> Contacto:
    clientes_service.ensure_exists(session, cliente_id)
    contacto = contactos_repo.get_of_cliente(session, cliente_id, contacto_id)
    if contacto is None:
        raise NotFoundError(f"Contacto '{contacto_id}' no encontrado en el cliente '{cliente_id}'")
    return contacto


def require_of_cliente(session: Session, cliente_id: str, contacto_id: str, field: str) -> None:
    """422 unless `contacto_id` is a contact of this client (used by activities and pipeline)."""
    if contactos_repo.get_of_cliente(session, cliente_id, contacto_id) is None:
        raise InvalidInputError(
            f"El contacto '{contacto_id}' no pertenece al cliente '{cliente_id}'", field=field
        )


def crear(
    session: Session, cliente_id: str, data: ContactoCreate, settings: Settings, now: datetime
) -> ContactoRead:
    clientes_service.ensure_exists(session, cliente_id)
    contacto = Contacto(cliente_id=cliente_id, fecha_creacion=now, **data.model_dump())
    if contacto.es_contacto_principal:
        contactos_repo.clear_principal(session, cliente_id, except_id=None)
    session.add(contacto)
    base_repo.flush(session)
    salud_db.refrescar_por_id(session, cliente_id, settings, now)
    return ContactoRead.model_validate(contacto)


def listar(session: Session, cliente_id: str, skip: int, limit: int) -> list[ContactoRead]:
    clientes_service.ensure_exists(session, cliente_id)
    return [
        ContactoRead.model_validate(c)
        for c in contactos_repo.list_of_cliente(session, cliente_id, skip=skip, limit=limit)
    ]


def obtener(session: Session, cliente_id: str, contacto_id: str) -> ContactoRead:
    return ContactoRead.model_validate(get_or_404(session, cliente_id, contacto_id))


def actualizar(
    session: Session,
    cliente_id: str,
    contacto_id: str,
    data: ContactoUpdate,
    settings: Settings,
    now: datetime,
) -> ContactoRead:
    contacto = get_or_404(session, cliente_id, contacto_id)
    changes = cambios(data, Contacto)
    if changes.get("es_contacto_principal"):
        contactos_repo.clear_principal(session, cliente_id, except_id=contacto_id)
    for name, value in changes.items():
        setattr(contacto, name, value)
    base_repo.flush(session)
    salud_db.refrescar_por_id(session, cliente_id, settings, now)
    return ContactoRead.model_validate(contacto)


def borrar(
    session: Session, cliente_id: str, contacto_id: str, settings: Settings, now: datetime
) -> None:
    contacto = get_or_404(session, cliente_id, contacto_id)
    session.delete(contacto)
    base_repo.flush(session)
    salud_db.refrescar_por_id(session, cliente_id, settings, now)
