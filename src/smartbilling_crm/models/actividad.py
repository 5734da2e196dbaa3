"""One entry of a client's timeline: a call, a meeting, a task, an invoice, a payment."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from smartbilling_crm.models.base import Base, UTCDateTime, new_id, utcnow


class Actividad(Base):
    __tablename__ = "actividades_extended"

    id: Mapped[str] = mapped_column(String(64), primary_key=True, default=new_id)
    cliente_id: Mapped[str] = mapped_column(ForeignKey("clientes_extended.id", ondelete="CASCADE"))
    tipo: Mapped[str] = mapped_column(String(20))
    titulo: Mapped[str] = mapped_column(String(200))
    descripcion: Mapped[str | None] = mapped_column(Text)
    fecha: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    duracion_minutos: Mapped[int | None] = mapped_column(Integer)
    responsable: Mapped[str | None] = mapped_column(String(100))
    contacto_id: Mapped[str | None] = mapped_column(
        ForeignKey("contactos_extended.id", ondelete="SET NULL"), index=True
    )
    completada: Mapped[bool] = mapped_column(Boolean, default=False)
    resultado: Mapped[str | None] = mapped_column(String(500))
    fecha_creacion: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Set on the `factura`/`pago` entries written by the invoice hook.
    factura_id: Mapped[str | None] = mapped_column(String(64))

    __table_args__ = (
        # The timeline by date; with the type and completion in the index, what the health
        # engine reads of it (pending tasks, human interactions) is filtered in the index:
        # the interactions' dates are read from it alone.
        Index(None, "cliente_id", "fecha", "tipo", "completada"),
        # One `factura` and one `pago` entry per invoice, however often its events arrive.
        Index(
            "uq_actividades_extended_factura_id_tipo",
            "factura_id",
            "tipo",
            unique=True,
            sqlite_where=text("factura_id IS NOT NULL"),
            postgresql_where=text("factura_id IS NOT NULL"),
        ),
    )
