"""The invoice ledger (one row per invoicing-module invoice) and the processed webhook ids."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import BigInteger, Boolean, Date, ForeignKey, Index, String, text
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
    # The date the invoice was settled by payments (the payment that completed what was
    # owed), kept by the ledger (`facturacion.libro`); None while open or settled by credit.
    fecha_pago: Mapped[date | None] = mapped_column(Date)
    anulada: Mapped[bool] = mapped_column(Boolean, default=False)
    # Contract §7: the invoice a credit note corrects, the sender's version of the invoice,
    # and what the ledger derives: credit applied to it and what is still owed.
    rectifica: Mapped[str | None] = mapped_column(String(64))
    version: Mapped[int | None] = mapped_column(BigInteger)  # senders use ms timestamps
    credito_aplicado: Mapped[Decimal] = mapped_column(Money(), default=Decimal("0.00"))
    pendiente: Mapped[Decimal] = mapped_column(Money(), default=Decimal("0.00"))
    fecha_creacion: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    fecha_actualizacion: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (
        Index(None, "cliente_id", "fecha_emision"),
        # The dashboard's overdue figures read only the open invoices (a tenth of the
        # ledger), from the index alone. Its condition is written as the query's.
        Index(
            "ix_facturas_ledger_abiertas",
            "fecha_vencimiento",
            "pendiente",
            sqlite_where=text("pendiente > 0"),
            postgresql_where=text("pendiente > 0"),
        ),
    )


class Cobro(Base):
    """A payment received for an invoice (contract §7), keyed by its id in SmartBilling.

    `importe` None is the payment of a `factura.pagada` event (id "{factura}/pagada"):
    it settles what the invoice still owed on its day (`importe_liquidado`). A returned
    payment (`factura.cobro_devuelto`) stays, marked `devuelto`, and no longer counts.
    """

    __tablename__ = "cobros_ledger"

    cobro_id: Mapped[str] = mapped_column(String(160), primary_key=True)
    factura_id: Mapped[str] = mapped_column(
        ForeignKey("facturas_ledger.factura_id", ondelete="CASCADE"), index=True
    )
    cliente_id: Mapped[str] = mapped_column(
        ForeignKey("clientes_extended.id", ondelete="CASCADE"), index=True
    )
    fecha: Mapped[date | None] = mapped_column(Date)
    importe: Mapped[Decimal | None] = mapped_column(Money())
    # Of a `factura.pagada` payment: the rest it settled, as the last settlement of the
    # client's ledger computed it (`facturacion.libro`); what the health engines read.
    importe_liquidado: Mapped[Decimal | None] = mapped_column(Money())
    devuelto: Mapped[bool] = mapped_column(Boolean, default=False)
    fecha_devolucion: Mapped[date | None] = mapped_column(Date)
    fecha_creacion: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    fecha_actualizacion: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class WebhookEvento(Base):
    """A `webhook-id` already processed: a repeat is answered 200 and changes nothing."""

    __tablename__ = "webhook_eventos"

    webhook_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    tipo: Mapped[str] = mapped_column(String(32))
    factura_id: Mapped[str] = mapped_column(String(64))
    recibido: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
