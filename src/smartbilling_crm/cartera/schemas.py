"""Wire models of the portfolio views (contract §5)."""

from __future__ import annotations

from datetime import date

from pydantic import Field

from smartbilling_crm.dominio import (
    DESCRIPCION_REFERENCIA,
    EstadoCliente,
    EstadoOportunidad,
    RiesgoImpago,
    SaludGeneral,
    Severidad,
    TipoAlerta,
)
from smartbilling_crm.kit.schemas import Money, OutputModel


class AlertaCartera(OutputModel):
    cliente_id: str
    nombre_empresa: str
    tipo: TipoAlerta
    severidad: Severidad
    mensaje: str
    referencia_id: str | None = Field(default=None, description=DESCRIPCION_REFERENCIA)


class AlertaList(OutputModel):
    total: int
    skip: int
    limit: int
    alertas: list[AlertaCartera]


class PipelineResumen(OutputModel):
    abiertas: int
    importe: Money
    importe_ponderado: Money


class FacturasVencidas(OutputModel):
    numero: int = Field(description="Facturas con importe pendiente ya vencidas")
    importe: Money = Field(description="Lo que queda por cobrar de ellas (no su total)")


class TramoDeuda(OutputModel):
    facturas: int
    importe: Money = Field(description="Importe pendiente de las facturas del tramo")


class AntiguedadDeuda(OutputModel):
    """What the portfolio is owed by days past due (contract §7)."""

    no_vencido: TramoDeuda
    d1_30: TramoDeuda
    d31_60: TramoDeuda
    d61_90: TramoDeuda
    mas_90: TramoDeuda


class ClienteEnRiesgo(OutputModel):
    cliente_id: str
    nombre_empresa: str
    estado: EstadoCliente
    riesgo_perdida_score: int
    riesgo_impago: RiesgoImpago
    salud_general: SaludGeneral


class FacturaEsperada(OutputModel):
    cliente_id: str
    nombre_empresa: str
    fecha_esperada: date
    importe_estimado: Money | None


class ClientesPorEstado(OutputModel):
    """Clients in each lifecycle state (every state present, 0 when none)."""

    prospecto: int
    cliente_activo: int
    cliente_dormido: int
    cliente_perdido: int
    vip: int


class AlertasPorSeveridad(OutputModel):
    """Open alerts of each severity (every severity present, 0 when none)."""

    critica: int
    alta: int
    media: int
    baja: int


class Dashboard(OutputModel):
    fecha: date
    clientes_por_estado: ClientesPorEstado
    total_clientes: int
    ltv_total: Money
    ingresos_esperados_30_dias: Money
    ingresos_esperados_90_dias: Money
    pipeline: PipelineResumen
    facturas_vencidas: FacturasVencidas
    importe_pendiente: Money = Field(description="Todo lo que queda por cobrar, vencido o no")
    antiguedad_deuda: AntiguedadDeuda
    clientes_en_riesgo: list[ClienteEnRiesgo]
    facturas_esperadas_7_dias: int
    proximas_facturas: list[FacturaEsperada]
    alertas_por_severidad: AlertasPorSeveridad


class EtapaPipeline(OutputModel):
    estado: EstadoOportunidad
    numero: int
    importe: Money
    importe_ponderado: Money


class Pipeline(OutputModel):
    etapas: list[EtapaPipeline]
    abiertas: PipelineResumen
    prevision_ponderada_30_dias: Money
    prevision_ponderada_90_dias: Money
