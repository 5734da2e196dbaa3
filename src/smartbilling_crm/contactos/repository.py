"""SQL of contacts."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, Select, bindparam, or_, select, update
from sqlalchemy.orm import Session

from smartbilling_crm.kit.repository import pagina, storable
from smartbilling_crm.models import Contacto


def get_of_cliente(session: Session, cliente_id: str, contacto_id: str) -> Contacto | None:
    if not storable(contacto_id):
        return None
    return session.scalars(
        select(Contacto).where(Contacto.id == contacto_id, Contacto.cliente_id == cliente_id)
    ).first()


# The principal first, then by name: the contacts' one order, for the pages and the 360.
_ORDEN = (Contacto.es_contacto_principal.desc(), Contacto.nombre_completo, Contacto.id)


def _de_cliente(cliente_id: str) -> Select[Any]:
    return select(Contacto).where(Contacto.cliente_id == cliente_id).order_by(*_ORDEN)


_TABLA = Contacto.__table__
# The client 360's read, built once (building a statement is much of a small read's cost);
# rows, not entities: the wire model reads them as they are.
_FILAS_DE_CLIENTE = (
    select(_TABLA).where(_TABLA.c.cliente_id == bindparam("cliente_id")).order_by(*_ORDEN)
)


def filas_de_cliente(session: Session, cliente_id: str) -> Sequence[Row[Any]]:
    """Every contact of the client, the principal first, as rows."""
    return session.execute(_FILAS_DE_CLIENTE, {"cliente_id": cliente_id}).all()


def page_of_cliente(
    session: Session, cliente_id: str, skip: int, limit: int
) -> tuple[Sequence[Contacto], int]:
    """A page of the client's contacts, the principal first, and how many there are."""
    return pagina(session, _de_cliente(cliente_id), skip, limit)


def clear_principal(session: Session, cliente_id: str, except_id: str | None) -> None:
    """Unset the principal flag on the client's other contacts."""
    stmt = update(Contacto).where(
        Contacto.cliente_id == cliente_id, Contacto.es_contacto_principal.is_(True)
    )
    if except_id is not None:
        stmt = stmt.where(Contacto.id != except_id)
    session.execute(stmt.values(es_contacto_principal=False))


def touch_interaction(session: Session, contacto_id: str, when: datetime) -> None:
    """Move the contact's last interaction forward to `when` (never backwards)."""
    session.execute(
        update(Contacto)
        .where(
            Contacto.id == contacto_id,
            or_(
                Contacto.fecha_ultima_interaccion.is_(None),
                Contacto.fecha_ultima_interaccion < when,
            ),
        )
        .values(fecha_ultima_interaccion=when)
    )
