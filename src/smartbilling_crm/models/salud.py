"""The stored health row of a client: what every read shows (the 360, `/salud`,
`/recomendaciones`, the list, the panel), written by the touched-client effect of every
write, by the daily `recalcular`, and lazily by the first read of a day (`salud.lectura`)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Date, Float, ForeignKey, Index, Integer, String, func, literal_column
from sqlalchemy.orm import Mapped, mapped_column

from smartbilling_crm.models.base import Base, MoneyTotal, UTCDateTime, utcnow

# How the client list sorts a client never contacted (no activity: `dias_sin_actividad`
# null) by days without activity: as the longest silence, a number no real one reaches.
# A literal in the SQL, not a parameter: the index on the expression serves only the
# same expression, written out.
SILENCIO_SIN_CONTACTO = 2_147_483_647


class SaludCliente(Base):
    __tablename__ = "salud_cliente_extended"

    cliente_id: Mapped[str] = mapped_column(
        ForeignKey("clientes_extended.id", ondelete="CASCADE"), primary_key=True
    )
    dias_promedio_para_pagar: Mapped[float | None] = mapped_column(Float)
    porcentaje_pagos_a_tiempo: Mapped[float | None] = mapped_column(Float)
    factura_pagada_mas_antigua: Mapped[date | None] = mapped_column(Date)
    factura_impagada_mas_antigua: Mapped[date | None] = mapped_column(Date)
    monto_promedio_factura: Mapped[Decimal | None] = mapped_column(MoneyTotal())
    frecuencia_compra_dias: Mapped[int | None] = mapped_column(Integer)
    meses_como_cliente: Mapped[int | None] = mapped_column(Integer)
    ltv_lifetime_value: Mapped[Decimal] = mapped_column(MoneyTotal(), default=Decimal("0.00"))
    margen_promedio: Mapped[float | None] = mapped_column(Float)
    fecha_proxima_factura_esperada: Mapped[date | None] = mapped_column(Date, index=True)
    ingresos_esperados_30_dias: Mapped[Decimal] = mapped_column(
        MoneyTotal(), default=Decimal("0.00")
    )
    ingresos_esperados_90_dias: Mapped[Decimal] = mapped_column(
        MoneyTotal(), default=Decimal("0.00")
    )
    riesgo_impago_nivel: Mapped[str] = mapped_column(String(10), default="bajo")
    riesgo_perdida_score: Mapped[int] = mapped_column(Integer, default=0)
    probabilidad_activo: Mapped[float | None] = mapped_column(Float)
    compras_esperadas_90_dias: Mapped[float | None] = mapped_column(Float)
    dias_sin_actividad: Mapped[int | None] = mapped_column(Integer)
    numero_actividades_ultimos_30_dias: Mapped[int] = mapped_column(Integer, default=0)
    ultima_interaccion: Mapped[datetime | None] = mapped_column(UTCDateTime())
    facturas_vencidas: Mapped[int] = mapped_column(Integer, default=0)
    importe_vencido: Mapped[Decimal] = mapped_column(MoneyTotal(), default=Decimal("0.00"))
    # Contract §7: the receivables ledger's figures (null where there is no history).
    importe_pendiente: Mapped[Decimal] = mapped_column(MoneyTotal(), default=Decimal("0.00"))
    saldo_a_favor: Mapped[Decimal] = mapped_column(MoneyTotal(), default=Decimal("0.00"))
    antiguedad_deuda: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    dso_dias: Mapped[float | None] = mapped_column(Float)
    dias_medios_de_retraso: Mapped[float | None] = mapped_column(Float)
    probabilidad_pago_tardio: Mapped[float | None] = mapped_column(Float)
    salud_general: Mapped[str] = mapped_column(String(12), default="buena")
    motivos: Mapped[list[Any]] = mapped_column(JSON, default=list)
    # What `/recomendaciones` and the panel show besides the alerts (`alertas_cliente`):
    # {"oportunidades": [{"tipo", "mensaje"}], "acciones_sugeridas": [str]}. NULL on rows
    # written before it existed: such a row is stale and the next read recomputes it.
    recomendaciones: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    fecha_calculo: Mapped[date | None] = mapped_column(Date)
    # One more at every write of the row (`salud.repository.guardar_salud`, and the daily
    # recompute's `salud.repository.filas_salud.guardar`): with the
    # client's creation instant, the stamp a kept client 360 is checked against
    # (`clientes.cache`). A data migration that rewrites health rows adds one too, or
    # the workers' kept 360s show the old rows until the next day.
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="0")
    fecha_actualizacion: Mapped[datetime] = mapped_column(
        UTCDateTime(), default=utcnow, onupdate=utcnow
    )

    __table_args__ = (
        # The dashboard's top lists read their first rows in order and stop: the clients
        # most at risk (ties by id) and the next expected invoices (ties by id).
        Index("ix_salud_cliente_extended_riesgo_orden", riesgo_perdida_score.desc(), "cliente_id"),
        Index(
            "ix_salud_cliente_extended_proxima_orden",
            "fecha_proxima_factura_esperada",
            "cliente_id",
        ),
        # The client list sorted by a health figure (`clientes.repository`) walks one of
        # these from the health side, ties by id either way.
        Index("ix_salud_cliente_extended_riesgo_lista", riesgo_perdida_score, "cliente_id"),
        Index(
            "ix_salud_cliente_extended_silencio_lista",
            func.coalesce(dias_sin_actividad, literal_column(str(SILENCIO_SIN_CONTACTO))),
            "cliente_id",
        ),
    )
