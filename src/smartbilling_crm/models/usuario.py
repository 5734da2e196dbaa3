"""The people who open the panel, and the alerts they put off for a few days."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from smartbilling_crm.models.base import Base, UTCDateTime, new_id

CLAVE_MAX = 300  # characters of an alert's key kept (the text without its day count)


class Usuario(Base):
    """A panel account: an email and an Argon2 hash (never the password)."""

    __tablename__ = "usuarios"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    hash_contrasena: Mapped[str] = mapped_column(String(255))
    activo: Mapped[bool] = mapped_column(Boolean, default=True)
    fecha_creacion: Mapped[datetime] = mapped_column(UTCDateTime())
    ultimo_acceso: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # How many times "Salir" closed the account's sessions. A session carries the count it
    # was opened at, and one opened before the last closing is refused: the session is a
    # signed cookie, and a copy of it stayed valid until it expired.
    cierres_de_sesion: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class AlertaPospuesta(Base):
    """ "Later": one alert of one client is hidden from Hoy until `hasta` (inclusive: the
    last day hidden; it shows again the day after).

    `clave` tells it from the client's other alerts of its type (`panel.service.clave`:
    an overdue invoice, a task, an opportunity each have their own); empty, every alert
    of the type (a type a client has once, and the snoozes made before it existed)."""

    __tablename__ = "alertas_pospuestas"

    cliente_id: Mapped[str] = mapped_column(
        ForeignKey("clientes_extended.id", ondelete="CASCADE"), primary_key=True
    )
    tipo: Mapped[str] = mapped_column(String(40), primary_key=True)
    clave: Mapped[str] = mapped_column(
        String(CLAVE_MAX), primary_key=True, default="", server_default=""
    )
    hasta: Mapped[date] = mapped_column(Date)
    # The alert's severity rank when it was put off (0 = critica): a more urgent one shows
    # again at once (an overdue invoice put off at "media" that turns "critica"). None:
    # put off before the rank was kept, whatever it becomes.
    rango: Mapped[int | None] = mapped_column(Integer, nullable=True)
