"""SQL of the activity timeline."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row, Select, bindparam, select
from sqlalchemy.orm import Session

from smartbilling_crm.kit.repository import pagina, storable
from smartbilling_crm.models import Actividad


def get_of_cliente(session: Session, cliente_id: str, actividad_id: str) -> Actividad | None:
    if not storable(actividad_id):
        return None
    return session.scalars(
        select(Actividad).where(Actividad.id == actividad_id, Actividad.cliente_id == cliente_id)
    ).first()


# Newest first: the timeline's one order, for its pages and the 360.
_RECIENTES_PRIMERO = (Actividad.fecha.desc(), Actividad.id.desc())


def _timeline(
    cliente_id: str, tipo: str | None = None, solo_tareas_pendientes: bool = False
) -> Select[Any]:
    stmt = select(Actividad).where(Actividad.cliente_id == cliente_id)
    if tipo:
        stmt = stmt.where(Actividad.tipo == tipo)
    if solo_tareas_pendientes:
        stmt = stmt.where(Actividad.tipo == "tarea", Actividad.completada.is_(False))
    return stmt.order_by(*_RECIENTES_PRIMERO)


def list_of_cliente(
    session: Session, cliente_id: str, *, limit: int | None = 20
) -> Sequence[Actividad]:
    """The timeline, newest first."""
    stmt = _timeline(cliente_id)
    if limit is not None:
        stmt = stmt.limit(limit)
    return session.scalars(stmt).all()


_TABLA = Actividad.__table__
# The client 360's read, built once (building a statement is much of a small read's cost);
# rows, not entities: the wire model reads them as they are.
_RECIENTES = (
    select(_TABLA)
    .where(_TABLA.c.cliente_id == bindparam("cliente_id"))
    .order_by(*_RECIENTES_PRIMERO)
    .limit(bindparam("limite"))
)


def recientes(session: Session, cliente_id: str, limit: int) -> Sequence[Row[Any]]:
    """The newest `limit` entries of the timeline, as rows."""
    return session.execute(_RECIENTES, {"cliente_id": cliente_id, "limite": limit}).all()


def page_of_cliente(
    session: Session,
    cliente_id: str,
    *,
    skip: int,
    limit: int,
    tipo: str | None,
    solo_tareas_pendientes: bool,
) -> tuple[Sequence[Actividad], int]:
    """A page of the timeline, newest first, and the total it is taken from."""
    return pagina(session, _timeline(cliente_id, tipo, solo_tareas_pendientes), skip, limit)
