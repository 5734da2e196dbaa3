"""SQL of the invoice ledger, the processed webhook ids and the invoice-made timeline."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import String, Table, bindparam, exists, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from smartbilling_crm.models import Actividad, Cliente, Cobro, Factura, WebhookEvento
from smartbilling_crm.models.base import UTCDateTime

# The record of a webhook id whose client was erased: the id's SHA-256 under this prefix,
# nothing else (no invoice id, and the erasure's time instead of the delivery's).
PREFIJO_BORRADO = "borrado:"


def clave_borrada(webhook_id: str) -> str:
    return PREFIJO_BORRADO + hashlib.sha256(webhook_id.encode()).hexdigest()


_EVENTOS: Table = WebhookEvento.__table__  # type: ignore[assignment]


def _registro(insertar: Any) -> Any:
    """The webhook id inserted unless it is there already, or its erased client's
    pseudonymised record is (one statement: the check and the insert)."""
    nuevo = select(
        bindparam("webhook_id", type_=String()),
        bindparam("tipo", type_=String()),
        bindparam("factura_id", type_=String()),
        bindparam("recibido", type_=UTCDateTime()),
    ).where(~exists().where(_EVENTOS.c.webhook_id == bindparam("borrado")))
    return (
        insertar(_EVENTOS)
        .from_select(["webhook_id", "tipo", "factura_id", "recibido"], nuevo)
        .on_conflict_do_nothing(index_elements=["webhook_id"])
        .returning(_EVENTOS.c.webhook_id)
    )


# The hook's statements, built once at import and run with parameters: building and
# cache-keying each per event cost about as much as running it.
_REGISTRO = {"postgresql": _registro(pg_insert), "sqlite": _registro(sqlite_insert)}
_BLOQUEO = select(Cliente).where(Cliente.id == bindparam("id")).with_for_update()
_POR_ID = select(Cliente.id).where(Cliente.id == bindparam("id"))
_POR_CIF = select(Cliente.id).where(Cliente.cif_nif == bindparam("cif_nif"))
_ACTIVIDADES = select(Actividad).where(
    Actividad.factura_id.in_(bindparam("facturas", expanding=True)),
    Actividad.tipo.in_(bindparam("tipos", expanding=True)),
)
_FACTURAS = (
    select(Factura)
    .where(Factura.cliente_id == bindparam("cliente_id"))
    .order_by(Factura.fecha_emision, Factura.factura_id)
)
_COBROS = (
    select(Cobro)
    .where(Cobro.cliente_id == bindparam("cliente_id"))
    .order_by(Cobro.factura_id, Cobro.fecha, Cobro.cobro_id)
)


def record_event(
    session: Session, webhook_id: str, tipo: str, factura_id: str, now: datetime
) -> bool:
    """Insert the webhook id; False when it was already there (a repeat), also when it
    was applied to a client since erased (its pseudonymised record).

    `ON CONFLICT DO NOTHING`: a concurrent delivery of the same id waits for the
    first transaction and then inserts nothing.
    """
    stmt = _REGISTRO[session.get_bind().dialect.name]
    fila = {
        "webhook_id": webhook_id,
        "tipo": tipo,
        "factura_id": factura_id,
        "recibido": now,
        "borrado": clave_borrada(webhook_id),
    }
    return session.execute(stmt, fila).first() is not None


_REGISTRADO = (
    select(_EVENTOS.c.factura_id, Factura.cliente_id)
    .outerjoin(Factura, Factura.factura_id == _EVENTOS.c.factura_id)
    .where(_EVENTOS.c.webhook_id == bindparam("webhook_id"))
)


def evento_registrado(session: Session, webhook_id: str) -> tuple[str, str | None] | None:
    """The invoice a recorded webhook id was applied to, and that invoice's client (None
    once it is gone): what a repeat of it is answered with, whatever its body says."""
    fila = session.execute(_REGISTRADO, {"webhook_id": webhook_id}).first()
    return None if fila is None else (fila[0], fila[1])


_APLICADO = select(_EVENTOS.c.webhook_id).where(
    _EVENTOS.c.webhook_id.in_([bindparam("webhook_id"), bindparam("borrado")])
)


def ya_aplicado(session: Session, webhook_id: str) -> bool:
    """The webhook id was applied before (also to a client since erased): a read, for a
    delivery whose client is not there to lock (`record_event` is the hot path's check)."""
    parametros = {"webhook_id": webhook_id, "borrado": clave_borrada(webhook_id)}
    return session.execute(_APLICADO, parametros).first() is not None


def lock_cliente(session: Session, cliente_id: str) -> Cliente | None:
    """The client row, locked until commit: one client's invoices are applied one at a time."""
    return session.scalars(_BLOQUEO, {"id": cliente_id}).first()


def lock_cliente_de(
    session: Session, cliente_id: str | None, cif_nif: str | None
) -> Cliente | None:
    """The CRM client of an invoice (by SmartBilling id, else by CIF/NIF), locked until
    commit; by id, one statement finds and locks it."""
    if cliente_id is not None and (cliente := lock_cliente(session, cliente_id)) is not None:
        return cliente
    if cif_nif and (encontrado := session.scalar(_POR_CIF, {"cif_nif": cif_nif})) is not None:
        return lock_cliente(session, encontrado)
    return None


def find_cliente_id(session: Session, cliente_id: str | None, cif_nif: str | None) -> str | None:
    """The CRM client of an invoice: by SmartBilling id, else by CIF/NIF."""
    if cliente_id is not None:
        found = session.scalar(_POR_ID, {"id": cliente_id})
        if found is not None:
            return found
    if cif_nif:
        return session.scalar(_POR_CIF, {"cif_nif": cif_nif})
    return None


def get(session: Session, factura_id: str) -> Factura | None:
    return session.get(Factura, factura_id)


def actividades_de(
    session: Session, factura_ids: Sequence[str], tipos: Sequence[str]
) -> dict[tuple[str, str], Actividad]:
    """The timeline entries of these invoices of these types, by (invoice, type), in one
    statement (the unique index on invoice and type keeps one of each)."""
    filas = session.scalars(_ACTIVIDADES, {"facturas": list(factura_ids), "tipos": list(tipos)})
    return {(str(a.factura_id), str(a.tipo)): a for a in filas}


def list_of_cliente(session: Session, cliente_id: str) -> Sequence[Factura]:
    return session.scalars(_FACTURAS, {"cliente_id": cliente_id}).all()


def get_cobro(session: Session, cobro_id: str) -> Cobro | None:
    return session.get(Cobro, cobro_id)


def cobros_de(session: Session, factura_id: str, ids: Sequence[str]) -> Sequence[Cobro]:
    """Every payment of one invoice, returned ones included, and those of `ids` whichever
    invoice they are of (one statement, by two indexes)."""
    donde = or_(Cobro.factura_id == factura_id, Cobro.cobro_id.in_(ids))
    return session.scalars(select(Cobro).where(donde)).all()


def cobros_of_cliente(session: Session, cliente_id: str) -> Sequence[Cobro]:
    """Every payment of the client's invoices, returned ones included."""
    return session.scalars(_COBROS, {"cliente_id": cliente_id}).all()


def seudonimizar_eventos(session: Session, cliente_id: str, now: datetime) -> int:
    """GDPR erasure of the client's webhook records (before its ledger is deleted): each
    keeps only the SHA-256 of its webhook id, so a retried old delivery is still a repeat,
    and loses its invoice id and delivery time. Returns how many."""
    ids = session.scalars(
        select(WebhookEvento.webhook_id).where(
            WebhookEvento.factura_id.in_(
                select(Factura.factura_id).where(Factura.cliente_id == cliente_id)
            )
        )
    ).all()
    tabla: Table = WebhookEvento.__table__  # type: ignore[assignment]
    if ids:
        session.connection().execute(
            update(tabla)
            .where(tabla.c.webhook_id == bindparam("viejo"))
            .values(webhook_id=bindparam("nuevo"), factura_id="", tipo="", recibido=now),
            [{"viejo": i, "nuevo": clave_borrada(i)} for i in ids],
        )
    return len(ids)
