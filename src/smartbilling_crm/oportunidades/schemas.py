"""Wire models of the sales pipeline."""

from __future__ import annotations

from typing import Any

from pydantic import ConfigDict, Field

from smartbilling_crm.dominio import EstadoOportunidad
from smartbilling_crm.kit.schemas import (
    EstadoOportunidadIn,
    InputModel,
    Instante,
    LocalDatetime,
    LongText,
    Money,
    MoneyIn,
    OutputModel,
    RefId,
    Text200,
    Text500,
    omitible,
)

_EXAMPLE: dict[str, Any] = {
    "nombre_proyecto": "Implementación ERP",
    "descripcion": "Sistema de gestión integral",
    "monto_estimado": 45000,
    "estado": "presupuesto",
    "probabilidad_cierre": 65,
}


class OportunidadCreate(InputModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_EXAMPLE]})

    nombre_proyecto: Text200
    descripcion: LongText | None = None
    monto_estimado: MoneyIn
    estado: EstadoOportunidadIn = EstadoOportunidad.IDENTIFICADA
    probabilidad_cierre: int | None = Field(
        None, ge=0, le=100, description="0..100; si se omite, la de la etapa"
    )
    fecha_cierre_estimada: LocalDatetime | None = None
    contacto_responsable_id: RefId | None = None
    notas_internas: LongText | None = None


class OportunidadUpdate(InputModel):
    nombre_proyecto: Text200 = omitible()
    descripcion: LongText | None = None
    monto_estimado: MoneyIn = omitible()
    estado: EstadoOportunidadIn = omitible()
    probabilidad_cierre: int = omitible(ge=0, le=100)
    fecha_cierre_estimada: LocalDatetime | None = None
    contacto_responsable_id: RefId | None = None
    notas_internas: LongText | None = None
    motivo_perdida: Text500 | None = None


class OportunidadRead(OutputModel):
    id: str
    cliente_id: str
    nombre_proyecto: str
    descripcion: str | None
    monto_estimado: Money
    estado: EstadoOportunidad
    probabilidad_cierre: int
    fecha_cierre_estimada: Instante | None
    fecha_cierre_real: Instante | None
    contacto_responsable_id: str | None
    notas_internas: str | None
    valor_ganado: Money | None
    motivo_perdida: str | None
    fecha_creacion: Instante
    fecha_actualizacion: Instante


class GanadaIn(InputModel):
    """What `…/ganada` may also take as a JSON body (the seed's query parameter still works)."""

    valor_final: MoneyIn | None = Field(
        None, description="Valor final del contrato (€); por defecto, el estimado"
    )


class PerdidaIn(InputModel):
    """What `…/perdida` may also take as a JSON body (the seed's query parameter still works)."""

    motivo: Text500 | None = Field(None, description="Por qué se perdió")
