"""Portfolio-wide figures kept by `recalcular` (one row)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Integer
from sqlalchemy.orm import Mapped, mapped_column

from smartbilling_crm.models.base import Base, MoneyTotal, UTCDateTime


class ResumenCartera(Base):
    """The VIP threshold and the fitted purchase model as of the last full recompute.

    Reads and invoice events compare a client's LTV with the threshold instead of ranking
    the whole portfolio on every request, and score a client with the stored model instead
    of fitting it; `recalcular` moves both.
    """

    __tablename__ = "resumen_cartera"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    umbral_vip: Mapped[Decimal | None] = mapped_column(MoneyTotal())
    fecha_calculo: Mapped[datetime] = mapped_column(UTCDateTime())
    # salud.motor.compras.ModeloCompras.como_dict(): parameters and the date of the fit.
    modelo_compras: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # salud.motor.pagos.PriorPagos: the portfolio's late-payment rate and its weight.
    prior_pagos: Mapped[dict[str, Any] | None] = mapped_column(JSON)
