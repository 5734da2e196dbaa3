"""A person at the client's company."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, String, Text, true
from sqlalchemy.orm import Mapped, mapped_column

from smartbilling_crm.models.base import Base, UTCDateTime, new_id, utcnow


class Contacto(Base):
    __tablename__ = "contactos_extended"

    id: Mapped[str] = mapped_column(String(64), primary_key=True, default=new_id)
    cliente_id: Mapped[str] = mapped_column(
        ForeignKey("clientes_extended.id", ondelete="CASCADE"), index=True
    )
    nombre_completo: Mapped[str] = mapped_column(String(200))
    rol: Mapped[str] = mapped_column(String(100))
    email: Mapped[str | None] = mapped_column(String(254))
    telefono: Mapped[str | None] = mapped_column(String(32))
    telefono_whatsapp: Mapped[str | None] = mapped_column(String(32))
    es_contacto_principal: Mapped[bool] = mapped_column(Boolean, default=False)
    es_contacto_financiero: Mapped[bool] = mapped_column(Boolean, default=False)
    notas: Mapped[str | None] = mapped_column(Text)
    fecha_creacion: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    fecha_ultima_interaccion: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (
        # At most one principal contact per client, enforced by the database too.
        Index(
            "uq_contactos_extended_un_principal",
            "cliente_id",
            unique=True,
            sqlite_where=es_contacto_principal == true(),
            postgresql_where=es_contacto_principal == true(),
        ),
    )
