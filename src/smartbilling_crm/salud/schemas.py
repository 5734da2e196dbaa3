"""Wire models of a client's health and recommendations, and of the recompute (§4, §5)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from pydantic import AliasChoices, Field

from smartbilling_crm.dominio import (
    DESCRIPCION_REFERENCIA,
    RiesgoImpago,
    SaludGeneral,
    Severidad,
    TipoAlerta,
    TipoOportunidadSugerida,
)
from smartbilling_crm.kit.schemas import Instante, Money, OutputModel, wire


class SaludRead(OutputModel):
    """Health metrics of one client, as of `fecha_calculo`."""

    cliente_id: str
    dias_promedio_para_pagar: float | None = Field(
        None,
        description="Días de la emisión a cada cobro, ponderados por importe, en las facturas "
        "saldadas; null sin historial",
    )
    porcentaje_pagos_a_tiempo: float | None = Field(
        None,
        description="Parte del importe saldado o vencido que se cobró a tiempo (0–100); null "
        "sin historial",
    )
    factura_pagada_mas_antigua: date | None = wire("factura_pagada_más_antigua", None)
    factura_impagada_mas_antigua: date | None = wire("factura_impagada_más_antigua", None)
    monto_promedio_factura: Money | None = None
    frecuencia_compra_dias: int | None = None
    meses_como_cliente: int | None = None
    ltv_lifetime_value: Money
    margen_promedio: float | None = None
    fecha_proxima_factura_esperada: date | None = None
    ingresos_esperados_30_dias: Money
    ingresos_esperados_90_dias: Money
    # One concept, one name: the client's own `riesgo_impago` (old name accepted).
    riesgo_impago_nivel: RiesgoImpago = Field(
        serialization_alias="riesgo_impago",
        validation_alias=AliasChoices("riesgo_impago", "riesgo_impago_nivel"),
    )
    riesgo_perdida_score: int = Field(
        ge=0, le=100, description="100 × (1 − probabilidad_activo); 100 = perdido"
    )
    probabilidad_activo: float | None = Field(
        None, description="Probabilidad (0–1) de que vuelva a comprar en 12 meses; null sin compras"
    )
    compras_esperadas_90_dias: float | None = Field(
        None, description="Compras (días con factura) esperadas en 90 días; null sin compras"
    )
    dias_sin_actividad: int | None = None
    numero_actividades_ultimos_30_dias: int = 0
    ultima_interaccion: Instante | None = wire(
        "fecha_última_interaccion",
        None,
        ascii_alias="fecha_ultima_interaccion",
        description="Fecha y hora de la interacción más reciente (el mismo nombre que en "
        "los contactos)",
    )
    facturas_vencidas: int = Field(0, description="Facturas con importe pendiente ya vencidas")
    importe_vencido: Money = Field(
        Decimal("0.00"), description="Lo que queda por cobrar de esas facturas"
    )
    importe_pendiente: Money = Field(
        Decimal("0.00"), description="Todo lo que queda por cobrar (vencido o no)"
    )
    saldo_a_favor: Money = Field(
        Decimal("0.00"),
        description="Dinero del cliente: abonos sin factura que saldar y cobros de más",
    )
    antiguedad_deuda: dict[str, Money] | None = Field(
        None,
        description="Importe pendiente por días desde el vencimiento: no_vencido, d1_30, "
        "d31_60, d61_90, mas_90",
    )
    dso_dias: float | None = Field(
        None,
        description="Pendiente ÷ facturado en los últimos 90 días × 90; null sin facturas",
    )
    dias_medios_de_retraso: float | None = Field(
        None,
        description="Días después del vencimiento de cada cobro (0 si a tiempo), ponderados "
        "por importe; null sin historial",
    )
    probabilidad_pago_tardio: float | None = Field(
        None,
        description="Probabilidad (0–1) de que pague tarde su próxima factura, acercada a la "
        "de la cartera con poco historial; null sin historial",
    )
    salud_general: SaludGeneral
    motivos: list[str] = Field(default_factory=list)
    fecha_calculo: date | None = None
    fecha_actualizacion: Instante


class AlertaRead(OutputModel):
    tipo: TipoAlerta
    severidad: Severidad
    mensaje: str
    referencia_id: str | None = Field(default=None, description=DESCRIPCION_REFERENCIA)


class OportunidadSugeridaRead(OutputModel):
    tipo: TipoOportunidadSugerida
    mensaje: str


class RecomendacionesRead(OutputModel):
    cliente_id: str
    fecha_generacion: Instante
    alertas: list[AlertaRead]
    oportunidades: list[OportunidadSugeridaRead]
    acciones_sugeridas: list[str]


class ResultadoRecalculoRead(OutputModel):
    clientes: int
    fecha_calculo: date
