"""SQL of the sales pipeline."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
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


def list_of_cliente(
    session: Session,
    cliente_id: str,
    *,
    estado: str | None = None,
    solo_abiertas: bool = False,
    skip: int = 0,
    limit: int | None = None,
) -> Sequence[Oportunidad]:
    stmt = select(Oportunidad).where(Oportunidad.cliente_id == cliente_id)
    if estado:
        stmt = stmt.where(Oportunidad.estado == estado)
    if solo_abiertas:
        stmt = stmt.where(Oportunidad.estado.not_in(ESTADOS_CERRADOS))
    stmt = stmt.order_by(Oportunidad.fecha_creacion.desc(), Oportunidad.id.desc()).offset(skip)
    if limit is not None:
        stmt = stmt.limit(limit)
    return session.scalars(stmt).all()


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
