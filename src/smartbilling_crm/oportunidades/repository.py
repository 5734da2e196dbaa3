"""SQL of the sales pipeline."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row, Select, bindparam, select
from sqlalchemy.orm import Session

from smartbilling_crm.kit import repository as base
from smartbilling_crm.models import Cliente, Oportunidad

ESTADOS_CERRADOS = ("ganada", "perdida")


def get(session: Session, oportunidad_id: str) -> Oportunidad | None:
    return base.get(session, Oportunidad, oportunidad_id)


def get_of_cliente(session: Session, cliente_id: str, oportunidad_id: str) -> Oportunidad | None:
    if not base.storable(oportunidad_id):
        return None
    return session.scalars(
        select(Oportunidad).where(
            Oportunidad.id == oportunidad_id, Oportunidad.cliente_id == cliente_id
        )
    ).first()


# Newest first: the pipeline's one order, for its pages and the 360.
_NUEVAS_PRIMERO = (Oportunidad.fecha_creacion.desc(), Oportunidad.id.desc())


def _de_cliente(
    cliente_id: str, estado: str | None = None, solo_abiertas: bool = False
) -> Select[Any]:
    stmt = select(Oportunidad).where(Oportunidad.cliente_id == cliente_id)
    if estado:
        stmt = stmt.where(Oportunidad.estado == estado)
    if solo_abiertas:
        stmt = stmt.where(Oportunidad.estado.not_in(ESTADOS_CERRADOS))
    return stmt.order_by(*_NUEVAS_PRIMERO)


def list_of_cliente(session: Session, cliente_id: str) -> Sequence[Oportunidad]:
    return session.scalars(_de_cliente(cliente_id)).all()


_TABLA = Oportunidad.__table__
# The client 360's read, built once (building a statement is much of a small read's cost);
# rows, not entities: the wire model reads them as they are.
_ABIERTAS = (
    select(_TABLA)
    .where(_TABLA.c.cliente_id == bindparam("cliente_id"), _TABLA.c.estado.not_in(ESTADOS_CERRADOS))
    .order_by(*_NUEVAS_PRIMERO)
)


def abiertas_de_cliente(session: Session, cliente_id: str) -> Sequence[Row[Any]]:
    """The client's open opportunities, newest first, as rows."""
    return session.execute(_ABIERTAS, {"cliente_id": cliente_id}).all()


def page_of_cliente(
    session: Session,
    cliente_id: str,
    *,
    estado: str | None,
    solo_abiertas: bool,
    skip: int,
    limit: int,
) -> tuple[Sequence[Oportunidad], int]:
    """A page of the client's pipeline, newest first, and the total that matches."""
    return base.pagina(session, _de_cliente(cliente_id, estado, solo_abiertas), skip, limit)


def abiertas_de_cartera(session: Session, limit: int) -> Sequence[tuple[Oportunidad, str]]:
    """Open opportunities of every client with the client's name, biggest first."""
    rows = session.execute(
        select(Oportunidad, Cliente.nombre_empresa)
        .join(Cliente, Cliente.id == Oportunidad.cliente_id)
        .where(Oportunidad.estado.not_in(ESTADOS_CERRADOS))
        .order_by(Oportunidad.monto_estimado.desc(), Oportunidad.id)
        .limit(limit)
    ).all()
    return [(oportunidad, nombre) for oportunidad, nombre in rows]
