"""Where the running (or interrupted) daily recompute stands (one row)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from smartbilling_crm.models.base import Base, UTCDateTime


class ProgresoRecalculo(Base):
    """The last batch `recalcular` committed: a run killed half way and started again the
    same day carries on after `ultimo_cliente_id`, with the portfolio fit of `ajuste`
    (the `resumen_cartera` it stored), instead of starting over."""

    __tablename__ = "recalculo_progreso"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # The business day of the run and the instant it fitted the portfolio (its "now").
    fecha_calculo: Mapped[date] = mapped_column(Date)
    ajuste: Mapped[datetime] = mapped_column(UTCDateTime())
    ultimo_cliente_id: Mapped[str | None] = mapped_column(String(64))
    clientes: Mapped[int] = mapped_column(Integer, default=0)
    completado: Mapped[bool] = mapped_column(Boolean, default=False)
