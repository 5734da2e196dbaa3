"""SQL of contacts."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from smartbilling_crm.kit.repository import storable
from smartbilling_crm.models import Contacto


def get_of_cliente(session: Session, cliente_id: str, contacto_id: str) -> Contacto | None:
    if not storable(contacto_id):
        return None
    return session.scalars(
        select(Contacto).where(Contacto.id == contacto_id, Contacto.cliente_id == cliente_id)
    ).first()


def list_of_cliente(
    session: Session, cliente_id: str, skip: int = 0, limit: int | None = None
) -> Sequence[Contacto]:
    stmt = (
        select(Contacto)
        .where(Contacto.cliente_id == cliente_id)
        .order_by(
            Contacto.es_contacto_principal.desc(),
            Contacto.nombre_completo,
            Contacto.id,
        )
        .offset(skip)
    )
    if limit is not None:
        stmt = stmt.limit(limit)
    return session.scalars(stmt).all()


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
