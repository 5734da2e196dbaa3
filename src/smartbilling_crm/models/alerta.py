"""The alerts of each client, as computed by its last health refresh.

Stored so the portfolio views (`/api/alertas`, the dashboard) are SQL over rows,
not a loop over every client per request. On PostgreSQL the table leaves half of each page
free (migration 8e1f3a5c7b92, fillfactor 50): the daily recompute's new day counts are
updates of the text alone, which then stay on their page and touch no index.
"""

from __future__ import annotations

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from smartbilling_crm.models.base import Base


class AlertaCliente(Base):
    __tablename__ = "alertas_cliente"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    cliente_id: Mapped[str] = mapped_column(
        ForeignKey("clientes_extended.id", ondelete="CASCADE"), index=True
    )
    tipo: Mapped[str] = mapped_column(String(40), index=True)
    severidad: Mapped[str] = mapped_column(String(10))
    # Severidad.rango (0 = critica ... 3 = baja): the list's sort key.
    rango: Mapped[int] = mapped_column(Integer)
    mensaje: Mapped[str] = mapped_column(Text)
    # The id of what the alert is about, for the types a client can have several of: the
    # invoice (factura_vencida), the task's activity (tarea_vencida), the deal
    # (oportunidad_estancada); None for the others. What tells the alert from its siblings
    # day after day (Hoy's snoozes, "Hecho" on a task) while its text changes.
    referencia_id: Mapped[str | None] = mapped_column(String(64))
    posicion: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (
        Index(None, "rango", "cliente_id", "posicion"),
        # Filtering by severity keeps the list's order, and the dashboard's count per
        # severity reads this index alone.
        Index(None, "severidad", "rango", "cliente_id", "posicion"),
    )
