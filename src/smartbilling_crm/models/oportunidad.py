"""A sales opportunity in a client's pipeline."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from smartbilling_crm.models.base import Base, Money, UTCDateTime, new_id, utcnow


class Oportunidad(Base):
    __tablename__ = "oportunidades_extended"

    id: Mapped[str] = mapped_column(String(64), primary_key=True, default=new_id)
    cliente_id: Mapped[str] = mapped_column(ForeignKey("clientes_extended.id", ondelete="CASCADE"))
    nombre_proyecto: Mapped[str] = mapped_column(String(200))
    descripcion: Mapped[str | None] = mapped_column(Text)
    monto_estimado: Mapped[Decimal] = mapped_column(Money())
    estado: Mapped[str] = mapped_column(String(20), index=True)
    probabilidad_cierre: Mapped[int] = mapped_column(Integer)
    fecha_cierre_estimada: Mapped[datetime | None] = mapped_column(UTCDateTime())
    fecha_cierre_real: Mapped[datetime | None] = mapped_column(UTCDateTime())
    contacto_responsable_id: Mapped[str | None] = mapped_column(
        ForeignKey("contactos_extended.id", ondelete="SET NULL"), index=True
    )
    notas_internas: Mapped[str | None] = mapped_column(Text)
    valor_ganado: Mapped[Decimal | None] = mapped_column(Money())
    motivo_perdida: Mapped[str | None] = mapped_column(String(500))
    fecha_creacion: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    fecha_actualizacion: Mapped[datetime] = mapped_column(
        UTCDateTime(), default=utcnow, onupdate=utcnow
    )

    __table_args__ = (
        Index(None, "cliente_id", "estado"),
        # Pipeline sums (count, amount, amount × probability per stage) from the index alone.
        Index(
            "ix_oportunidades_extended_pipeline", "estado", "monto_estimado", "probabilidad_cierre"
        ),
    )
