"""The invoice ledger (one row per invoicing-module invoice) and the processed webhook ids."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Boolean, Date, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from smartbilling_crm.models.base import Base, Money, UTCDateTime, utcnow


class Factura(Base):
    """An invoice as the invoicing module last described it; keyed by its id there."""

    __tablename__ = "facturas_ledger"

    factura_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    cliente_id: Mapped[str] = mapped_column(ForeignKey("clientes_extended.id", ondelete="CASCADE"))
    numero: Mapped[str] = mapped_column(String(64))
    fecha_emision: Mapped[date] = mapped_column(Date)
    fecha_vencimiento: Mapped[date | None] = mapped_column(Date)
    base_imponible: Mapped[Decimal] = mapped_column(Money())
    total: Mapped[Decimal] = mapped_column(Money())
    moneda: Mapped[str] = mapped_column(String(3), default="EUR")
    fecha_pago: Mapped[date | None] = mapped_column(Date)
    anulada: Mapped[bool] = mapped_column(Boolean, default=False)
    fecha_creacion: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    fecha_actualizacion: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (
        Index(None, "cliente_id", "fecha_emision"),
        # Portfolio views look for unpaid, uncancelled invoices by due date.
        Index(None, "fecha_vencimiento", "fecha_pago", "anulada"),
        # The dashboard's overdue total reads only the unpaid, live invoices (a tenth of
        # the ledger), from the index alone. Its condition is written as the query's.
        Index(
            "ix_facturas_ledger_impagadas",
            "fecha_vencimiento",
            "total",
            sqlite_where=text("fecha_pago IS NULL AND anulada IS 0"),
            postgresql_where=text("fecha_pago IS NULL AND anulada IS false"),
        ),
    )


class WebhookEvento(Base):
    """A `webhook-id` already processed: a repeat is answered 200 and changes nothing."""

    __tablename__ = "webhook_eventos"

    webhook_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    tipo: Mapped[str] = mapped_column(String(32))
    factura_id: Mapped[str] = mapped_column(String(64))
    recibido: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
