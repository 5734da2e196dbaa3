"""SQL of the invoice ledger, the processed webhook ids and the invoice-made timeline."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from smartbilling_crm.models import Actividad, Cliente, Factura, WebhookEvento


def _insert(session: Session) -> Any:
    return pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert


def record_event(
    session: Session, webhook_id: str, tipo: str, factura_id: str, now: datetime
) -> bool:
    """Insert the webhook id; False when it was already there (a repeat).

    `ON CONFLICT DO NOTHING`: a concurrent delivery of the same id waits for the
    first transaction and then inserts nothing.
    """
    stmt = (
        _insert(session)(WebhookEvento)
        .values(webhook_id=webhook_id, tipo=tipo, factura_id=factura_id, recibido=now)
        .on_conflict_do_nothing(index_elements=["webhook_id"])
        .returning(WebhookEvento.webhook_id)
    )
    return session.execute(stmt).first() is not None


def lock_cliente(session: Session, cliente_id: str) -> Cliente | None:
    """The client row, locked until commit: one client's invoices are applied one at a time."""
    return session.scalars(
        select(Cliente).where(Cliente.id == cliente_id).with_for_update()
    ).first()


def find_cliente_id(session: Session, cliente_id: str | None, cif_nif: str | None) -> str | None:
    """The CRM client of an invoice: by SmartBilling id, else by CIF/NIF."""
    if cliente_id is not None:
        found = session.scalar(select(Cliente.id).where(Cliente.id == cliente_id))
        if found is not None:
            return found
    if cif_nif:
        return session.scalar(select(Cliente.id).where(Cliente.cif_nif == cif_nif))
    return None


def get(session: Session, factura_id: str) -> Factura | None:
    return session.get(Factura, factura_id)


def get_actividad(session: Session, factura_id: str, tipo: str) -> Actividad | None:
    return session.scalars(
        select(Actividad).where(Actividad.factura_id == factura_id, Actividad.tipo == tipo)
    ).first()


def list_of_cliente(session: Session, cliente_id: str) -> Sequence[Factura]:
    return session.scalars(
        select(Factura)
        .where(Factura.cliente_id == cliente_id)
        .order_by(Factura.fecha_emision, Factura.factura_id)
    ).all()
