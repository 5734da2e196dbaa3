"""Helpers shared by the repositories: lookups by id and integrity-error mapping."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from smartbilling_crm.kit.excepciones import ConflictError, NotFoundError
from smartbilling_crm.models import Base, Cliente

ModelT = TypeVar("ModelT", bound=Base)

# Unique constraints and the field a user should be told about.
_UNIQUE_FIELDS = (
    ("uq_clientes_extended_email", "clientes_extended.email", "email"),
    ("uq_clientes_extended_cif_nif", "clientes_extended.cif_nif", "cif_nif"),
    ("pk_clientes_extended", "clientes_extended.id", "id"),
    # One invoice id reaching two clients at once: the second insert loses the race.
    ("pk_facturas_ledger", "facturas_ledger.factura_id", "factura.id"),
    (
        "uq_contactos_extended_un_principal",
        "contactos_extended.cliente_id",
        "es_contacto_principal",
    ),
)


def pagina(session: Session, stmt: Select[Any], skip: int, limit: int) -> tuple[Sequence[Any], int]:
    """One page of an ordered query's rows, and how many rows the whole query has."""
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    return session.scalars(stmt.offset(skip).limit(limit)).all(), int(total or 0)


def storable(value: str) -> bool:
    """False for text no row can hold (PostgreSQL refuses NUL): such an id matches nothing."""
    return "\x00" not in value


def get(session: Session, model: type[ModelT], id_: str) -> ModelT | None:
    return session.get(model, id_) if storable(id_) else None


def cliente_o_404(session: Session, cliente_id: str) -> Cliente:
    """The client, or 404: every feature's paths start with a client id."""
    cliente = get(session, Cliente, cliente_id)
    if cliente is None:
        raise NotFoundError(f"Cliente '{cliente_id}' no encontrado")
    return cliente


def asegurar_cliente(session: Session, cliente_id: str, *, bloquear: bool = False) -> None:
    """404 unless the client exists (one indexed lookup, no row loaded); `bloquear`: and
    lock its row until the commit (PostgreSQL; SQLite's writers take turns anyway)."""
    consulta = select(Cliente.id).where(Cliente.id == cliente_id)
    existe = storable(cliente_id) and session.scalar(
        consulta.with_for_update() if bloquear else consulta
    )
    if not existe:
        raise NotFoundError(f"Cliente '{cliente_id}' no encontrado")


def flush(session: Session) -> None:
    """Flush pending writes; a unique violation becomes a 409 naming the field."""
    try:
        session.flush()
    except IntegrityError as exc:
        message = str(exc.orig)
        for constraint, sqlite_column, field in _UNIQUE_FIELDS:
            if constraint in message or sqlite_column in message:
                raise ConflictError(
                    f"Ya existe un registro con ese valor de '{field}'",
                    errors=[{"campo": field, "mensaje": "valor duplicado", "tipo": "duplicado"}],
                ) from exc
        raise
