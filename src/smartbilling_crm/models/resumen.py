"""Portfolio-wide figures kept by `recalcular` (one row)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import Integer
from sqlalchemy.orm import Mapped, mapped_column

from smartbilling_crm.models.base import Base, MoneyTotal, UTCDateTime


class ResumenCartera(Base):
    """The VIP threshold as of the last full recompute.

    Reads and invoice events compare a client's LTV with it instead of ranking the
    whole portfolio on every request; `recalcular` moves it.
    """

    __tablename__ = "resumen_cartera"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    umbral_vip: Mapped[Decimal | None] = mapped_column(MoneyTotal())
    fecha_calculo: Mapped[datetime] = mapped_column(UTCDateTime())
