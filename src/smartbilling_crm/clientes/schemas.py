"""Wire models of clients: create, update, the list row and the client 360."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any

from pydantic import ConfigDict, Field

from smartbilling_crm.actividades.schemas import ActividadRead
from smartbilling_crm.contactos.schemas import ContactoRead
from smartbilling_crm.dominio import EstadoCliente, RiesgoImpago, SaludGeneral, TamanoEmpresa
from smartbilling_crm.facturacion.schemas import FacturaRead
from smartbilling_crm.kit.schemas import (
    EmailIn,
    EstadoClienteManualIn,
    ExternalId,
    InputModel,
    Instante,
    LocalDatetime,
    LongText,
    Money,
    OutputModel,
    PhoneIn,
    TamanoEmpresaIn,
    TaxIdIn,
    Text100,
    Text200,
    Text500,
    importe_schema,
    omitible,
    wire,
)
from smartbilling_crm.oportunidades.schemas import OportunidadRead
from smartbilling_crm.salud.schemas import RecomendacionesRead, SaludRead

# The seed's own "Crear Cliente" example: it must work unchanged.
CLIENTE_EXAMPLE: dict[str, Any] = {
    "nombre_empresa": "TechCorp S.L.",
    "email": "info@techcorp.es",
    "telefono": "+34 91 123 4567",
    "direccion": "Calle Tech 123, Madrid",
    "cif_nif": "A12345678",
    "sector_industria": "technology",
    "tamaño_empresa": "mediana",
}

Margen = Annotated[
    Decimal,
    Field(ge=-100, le=100, max_digits=5, decimal_places=2, allow_inf_nan=False),
    importe_schema(-100, 100),
]
Empleados = Annotated[int, Field(ge=0, le=10_000_000)]


class _ClienteFields(InputModel):
    telefono: PhoneIn | None = None
    direccion: Text500 | None = None
    cif_nif: TaxIdIn | None = Field(
        None,
        description="NIF, NIE, CIF o NIF-IVA europeo; se guarda en mayúsculas y sin separadores",
    )
    segmento: Text100 | None = None
    sector_industria: Text100 | None = None
    tamano_empresa: TamanoEmpresaIn | None = wire("tamaño_empresa", None)
    comunidad_autonoma: Text100 | None = None
    ciudad: Text100 | None = None
    margen_promedio: Margen | None = None
    fecha_primer_contacto: LocalDatetime | None = None
    web_empresa: Text500 | None = None
    linkedin: Text500 | None = None
    numero_empleados: Empleados | None = None
    notas: LongText | None = None


ESTADO_A_MANO = (
    "Solo `cliente_perdido` (se marca a mano; una factura nueva lo reactiva): el resto de "
    "estados los calcula el sistema"
)
ESTADO_EN_PATCH = (
    f"{ESTADO_A_MANO}. null devuelve el estado al sistema, que lo calcula de nuevo con los "
    "datos del cliente: deshace un `cliente_perdido` marcado por error"
)


class ClienteCreate(_ClienteFields):
    """A new client; `id` is its id in SmartBilling (a UUID is made when omitted)."""

    model_config = ConfigDict(json_schema_extra={"examples": [CLIENTE_EXAMPLE]})

    id: ExternalId | None = None
    nombre_empresa: Text200
    email: EmailIn
    # As on PATCH: a client that arrives already lost; omitted or null, the system's state.
    estado: EstadoClienteManualIn | None = Field(None, description=ESTADO_A_MANO)


class ClienteUpdate(_ClienteFields):
    """Partial update. `estado` can only be set by hand to `cliente_perdido`."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"telefono": "+34 91 765 4321"}]})

    # Fields whose column is NOT NULL may be left out but not emptied: not nullable here.
    nombre_empresa: Text200 = omitible()
    email: EmailIn = omitible()
    # The exception: null gives the state back to the system (undoes `cliente_perdido`).
    estado: EstadoClienteManualIn | None = omitible(description=ESTADO_EN_PATCH)
    fecha_primer_contacto: LocalDatetime = omitible()


class ClienteSimple(OutputModel):
    """A client row of the list."""

    id: str
    nombre_empresa: str
    email: str
    cif_nif: str | None
    cif_nif_valido: bool | None
    estado: EstadoCliente
    sector_industria: str | None
    ltv: Money
    riesgo_impago: RiesgoImpago
    fecha_ultima_compra: date | None = wire("fecha_última_compra", None)
    dias_sin_actividad: int | None = None
    riesgo_perdida_score: int | None = None
    salud_general: SaludGeneral | None = None
    fecha_actualizacion: Instante


class ClienteList(OutputModel):
    total: int
    skip: int
    limit: int
    clientes: list[ClienteSimple]


class ClienteDatos(OutputModel):
    """A client's own fields (the 360 without what hangs from it)."""

    id: str
    nombre_empresa: str
    email: str
    telefono: str | None
    direccion: str | None
    cif_nif: str | None
    cif_nif_valido: bool | None = Field(
        None, description="false: el dígito de control no cuadra; corrígelo antes de facturar"
    )
    estado: EstadoCliente
    segmento: str | None
    sector_industria: str | None
    tamano_empresa: TamanoEmpresa | None = wire("tamaño_empresa", None)
    comunidad_autonoma: str | None
    ciudad: str | None
    riesgo_impago: RiesgoImpago
    ltv: Money
    margen_promedio: float | None
    fecha_primer_contacto: Instante
    fecha_primera_compra: date | None
    fecha_ultima_compra: date | None = wire("fecha_última_compra", None)
    web_empresa: str | None
    linkedin: str | None
    numero_empleados: int | None
    notas: str | None
    fecha_creacion: Instante
    fecha_actualizacion: Instante


class ClienteRead(ClienteDatos):
    """The client 360: its fields, contacts, recent timeline, open pipeline and health."""

    contactos: list[ContactoRead]
    actividades_recientes: list[ActividadRead]
    oportunidades_abiertas: list[OportunidadRead]
    salud: SaludRead


class ExportacionCliente(OutputModel):
    """GDPR portability: every stored fact about one client."""

    fecha_exportacion: Instante
    cliente: ClienteDatos
    contactos: list[ContactoRead]
    actividades: list[ActividadRead]
    oportunidades: list[OportunidadRead]
    facturas: list[FacturaRead]
    salud: SaludRead
    # What the CRM concluded about the client: its alerts, suggested deals and next steps.
    recomendaciones: RecomendacionesRead


class OrdenarClientesPor(StrEnum):
    FECHA_ACTUALIZACION = "fecha_actualizacion"
    NOMBRE_EMPRESA = "nombre_empresa"
    LTV = "ltv"
    FECHA_ULTIMA_COMPRA = "fecha_última_compra"
    RIESGO_PERDIDA_SCORE = "riesgo_perdida_score"
    DIAS_SIN_ACTIVIDAD = "dias_sin_actividad"


class Orden(StrEnum):
    ASC = "asc"
    DESC = "desc"
