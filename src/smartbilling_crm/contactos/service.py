"""Contacts of a client; at most one principal contact per client."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from smartbilling_crm.contactos import repository as contactos_repo
from smartbilling_crm.contactos.schemas import ContactoCreate, ContactoRead, ContactoUpdate
from smartbilling_crm.kit import repository as base_repo
from smartbilling_crm.kit.contexto import Contexto
from smartbilling_crm.kit.excepciones import InvalidInputError, NotFoundError
from smartbilling_crm.kit.parches import cambios
from smartbilling_crm.models import Contacto


def get_or_404(session: Session, cliente_id: str, contacto_id: str) -> Contacto:
    base_repo.asegurar_cliente(session, cliente_id)
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


def crear(ctx: Contexto, cliente_id: str, data: ContactoCreate) -> ContactoRead:
    base_repo.asegurar_cliente(ctx.session, cliente_id)
    contacto = Contacto(cliente_id=cliente_id, fecha_creacion=ctx.now, **data.model_dump())
    if contacto.es_contacto_principal:
        contactos_repo.clear_principal(ctx.session, cliente_id, except_id=None)
    ctx.session.add(contacto)
    base_repo.flush(ctx.session)
    ctx.tocar(cliente_id)
    return ContactoRead.model_validate(contacto)


def listar(
    session: Session, cliente_id: str, skip: int, limit: int
) -> tuple[list[ContactoRead], int]:
    """A page of the client's contacts and how many it has."""
    base_repo.asegurar_cliente(session, cliente_id)
    rows, total = contactos_repo.page_of_cliente(session, cliente_id, skip, limit)
    return [ContactoRead.model_validate(c) for c in rows], total


def obtener(session: Session, cliente_id: str, contacto_id: str) -> ContactoRead:
    return ContactoRead.model_validate(get_or_404(session, cliente_id, contacto_id))


def actualizar(
    ctx: Contexto,
    cliente_id: str,
    contacto_id: str,
    data: ContactoUpdate,
) -> ContactoRead:
    contacto = get_or_404(ctx.session, cliente_id, contacto_id)
    changes = cambios(data, Contacto)
    if changes.get("es_contacto_principal"):
        contactos_repo.clear_principal(ctx.session, cliente_id, except_id=contacto_id)
    for name, value in changes.items():
        setattr(contacto, name, value)
    base_repo.flush(ctx.session)
    ctx.tocar(cliente_id)
    return ContactoRead.model_validate(contacto)


def borrar(ctx: Contexto, cliente_id: str, contacto_id: str) -> None:
    contacto = get_or_404(ctx.session, cliente_id, contacto_id)
    ctx.session.delete(contacto)
    base_repo.flush(ctx.session)
    ctx.tocar(cliente_id)


def de_cliente(session: Session, cliente_id: str) -> list[ContactoRead]:
    """Every contact of the client (GDPR export)."""
    return [
        ContactoRead.model_validate(c) for c in contactos_repo.filas_de_cliente(session, cliente_id)
    ]


def registrar_interaccion(session: Session, contacto_id: str, fecha: datetime) -> None:
    """The contact's last interaction moves to `fecha` if that is newer."""
    contactos_repo.touch_interaction(session, contacto_id, fecha)
