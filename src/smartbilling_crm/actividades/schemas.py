"""Wire models of timeline activities."""

from __future__ import annotations

from typing import Any

from pydantic import ConfigDict, Field

from smartbilling_crm.dominio import TipoActividad
from smartbilling_crm.kit.schemas import (
    InputModel,
    Instante,
    LocalDatetime,
    LongText,
    OutputModel,
    RefId,
    Text100,
    Text200,
    Text500,
    TipoActividadManualIn,
    omitible,
    wire,
)

_EXAMPLE: dict[str, Any] = {
    "tipo": "reunión",
    "titulo": "Junta trimestral",
    "descripcion": "Cliente muy satisfecho, solicita ampliación",
    "duración_minutos": 90,
    "responsable": "Tu nombre",
}

Minutes = int  # alias for readability in signatures


class ActividadCreate(InputModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_EXAMPLE]})

    tipo: TipoActividadManualIn
    titulo: Text200
    descripcion: LongText | None = None
    fecha: LocalDatetime | None = Field(None, description="Por defecto, ahora")
    duracion_minutos: int | None = wire("duración_minutos", None, ge=0, le=10080)
    responsable: Text100 | None = None
    contacto_id: RefId | None = None
    completada: bool = False
    resultado: Text500 | None = None


class ActividadUpdate(InputModel):
    tipo: TipoActividadManualIn = omitible()
    titulo: Text200 = omitible()
    descripcion: LongText | None = None
    fecha: LocalDatetime = omitible()
    duracion_minutos: int | None = wire("duración_minutos", None, ge=0, le=10080)
    responsable: Text100 | None = None
    contacto_id: RefId | None = None
    completada: bool = omitible()
    resultado: Text500 | None = None


class ActividadRead(OutputModel):
    id: str
    cliente_id: str
    tipo: TipoActividad
    titulo: str
    descripcion: str | None
    fecha: Instante
    duracion_minutos: int | None = wire("duración_minutos", None)
    responsable: str | None
    contacto_id: str | None
    completada: bool
    resultado: str | None
    fecha_creacion: Instante
