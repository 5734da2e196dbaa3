"""SQL of panel accounts."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from smartbilling_crm.models import Usuario


def por_email(session: Session, email: str) -> Usuario | None:
    return session.scalar(select(Usuario).where(Usuario.email == email))


def por_id(session: Session, usuario_id: str) -> Usuario | None:
    return session.get(Usuario, usuario_id)


def todos(session: Session) -> Sequence[Usuario]:
    return session.scalars(select(Usuario).order_by(Usuario.email)).all()


def guardar(session: Session, usuario: Usuario) -> None:
    session.add(usuario)
    session.flush()
