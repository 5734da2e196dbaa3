"""Wire models of contacts."""

from __future__ import annotations

from typing import Any

from pydantic import AliasChoices, ConfigDict, Field

from smartbilling_crm.kit.schemas import (
    EmailIn,
    InputModel,
    Instante,
    LongText,
    OutputModel,
    PhoneIn,
    Text100,
    Text200,
    omitible,
    wire,
)

_EXAMPLE: dict[str, Any] = {
    "nombre_completo": "María López Ruiz",
    "rol": "Contable",
    "email": "maria.lopez@techcorp.es",
    "telefono": "+34 91 123 4567",
    "es_contacto_principal": False,
    "es_contacto_financiero": True,
    "telefono_whatsapp": "+34 666 123 456",
}


# The sketch's typo `telefono_whatapp` is still accepted on input; only the right
# spelling is emitted.
def _whatsapp_in() -> Any:
    return Field(None, validation_alias=AliasChoices("telefono_whatsapp", "telefono_whatapp"))


class ContactoCreate(InputModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_EXAMPLE]})

    nombre_completo: Text200
    rol: Text100
    email: EmailIn | None = None
    telefono: PhoneIn | None = None
    es_contacto_principal: bool = False
    es_contacto_financiero: bool = False
    telefono_whatsapp: PhoneIn | None = _whatsapp_in()
    notas: LongText | None = None


class ContactoUpdate(InputModel):
    nombre_completo: Text200 = omitible()
    rol: Text100 = omitible()
    email: EmailIn | None = None
    telefono: PhoneIn | None = None
    es_contacto_principal: bool = omitible()
    es_contacto_financiero: bool = omitible()
    telefono_whatsapp: PhoneIn | None = _whatsapp_in()
    notas: LongText | None = None


class ContactoRead(OutputModel):
    id: str
    cliente_id: str
    nombre_completo: str
    rol: str
    email: str | None
    telefono: str | None
    es_contacto_principal: bool
    es_contacto_financiero: bool
    telefono_whatsapp: str | None
    notas: str | None
    fecha_creacion: Instante
    fecha_ultima_interaccion: Instante | None = wire("fecha_última_interaccion", None)
