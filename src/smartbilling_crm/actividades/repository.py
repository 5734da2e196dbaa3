"""SQL of the activity timeline."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from smartbilling_crm.kit.repository import storable
from smartbilling_crm.models import Actividad


def get_of_cliente(session: Session, cliente_id: str, actividad_id: str) -> Actividad | None:
    if not storable(actividad_id):
        return None
    return session.scalars(
        select(Actividad).where(Actividad.id == actividad_id, Actividad.cliente_id == cliente_id)
    ).first()


def list_of_cliente(
    session: Session,
    cliente_id: str,
    *,
    skip: int = 0,
    limit: int | None = 20,
    tipo: str | None = None,
    solo_tareas_pendientes: bool = False,
) -> Sequence[Actividad]:
    """The timeline, newest first."""
    stmt = select(Actividad).where(Actividad.cliente_id == cliente_id)
    if tipo:
        stmt = stmt.where(Actividad.tipo == tipo)
    if solo_tareas_pendientes:
        stmt = stmt.where(Actividad.tipo == "tarea", Actividad.completada.is_(False))
    stmt = stmt.order_by(Actividad.fecha.desc(), Actividad.id.desc()).offset(skip)
    if limit is not None:
        stmt = stmt.limit(limit)
    return session.scalars(stmt).all()
