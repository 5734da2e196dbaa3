"""Wire models of the invoice hook and the history backfill (contract §3)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)

from smartbilling_crm.kit.excepciones import ErrorDeCampo
from smartbilling_crm.kit.schemas import (
    ExternalId,
    Money,
    OutputModel,
    SinNulModel,
    importe_schema,
    no_nul,
)
from smartbilling_crm.kit.validators import compact_tax_id

Importe = Annotated[
    Decimal,
    Field(max_digits=14, decimal_places=2, allow_inf_nan=False, ge=-(10**11), le=10**11),
    importe_schema(-(10**11), 10**11),
]


# Accepted invoice dates: issued from 2000 to a year ahead, paid no later than today.
# "Today" is the request's (the business time zone's), so the check runs in the service
# (`fechas_fuera_de_rango`) before anything is recorded; the fields document it.
FECHA_EMISION_MIN = date(2000, 1, 1)
EMISION_MAX_DIAS_FUTURO = 366


def _compact(value: str | None) -> str | None:
    return compact_tax_id(value) if value else None


_RESERVADO = (
    "el id de cobro '{}' está reservado a los pagos de factura.pagada (acaba en /pagada o "
    "sigue a /pagada/): usa otro"
)
# The ids of an invoice's `factura.pagada` payments ("{id}/pagada", "{id}/pagada/…"), which
# the CRM gives them (`cobros.registrar_pagada`): a sender's own payment cannot take one.
SUFIJO_PAGADA = "/pagada"


def de_pagada(cobro_id: str) -> bool:
    """An id of some invoice's `factura.pagada` payments."""
    return cobro_id.endswith(SUFIJO_PAGADA) or SUFIJO_PAGADA + "/" in cobro_id


CobroId = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Za-z0-9_/.-]{1,128}$"),
    Field(description="Id del cobro en SmartBilling; el mismo al reintentar"),
]
ImporteCobro = Annotated[
    Decimal,
    Field(max_digits=14, decimal_places=2, allow_inf_nan=False, gt=0, le=10**11),
    importe_schema(0.01, 10**11),
]


class CobroIn(SinNulModel):
    """A payment of an invoice (contract §7): partial or whole, idempotent by `id`."""

    model_config = ConfigDict(
        extra="ignore",
        json_schema_extra={"examples": [{"id": "cob_0001", "fecha": "2026-01-20", "importe": 500}]},
    )

    id: CobroId
    fecha: date | None = Field(
        None, description="Fecha del cobro, no posterior a hoy (obligatoria en factura.cobro)"
    )
    importe: ImporteCobro | None = Field(
        None, description="Importe cobrado, positivo (obligatorio en factura.cobro)"
    )


class CobroCompleto(SinNulModel):
    """A payment of the invoice in a backfill: id, date and amount. Extra fields are kept
    aside (`model_extra`): the webhook ignores them, the backfill refuses them."""

    model_config = ConfigDict(extra="allow")

    id: CobroId
    fecha: date = Field(description="Fecha del cobro, no posterior a hoy")
    importe: ImporteCobro = Field(description="Importe cobrado, positivo")


FACTURA_EXAMPLE: dict[str, Any] = {
    "id": "fac_2025_0123",
    "numero": "2025/0123",
    "cliente_id": "abc123",
    "cif_nif": "B12345674",
    "fecha_emision": "2025-12-12",
    "fecha_vencimiento": "2026-01-11",
    "base_imponible": 2066.12,
    "total": 2500.00,
    "moneda": "EUR",
    "fecha_pago": None,
}


class FacturaIn(SinNulModel):
    """An invoice as the invoicing module sends it. Unknown extra fields are ignored by
    the hook, so the sender can add fields without breaking it; the backfill, written by
    hand or by a script, refuses them (`campos_desconocidos`): a typo such as
    `fechapago` would otherwise store a paid invoice as unpaid."""

    model_config = ConfigDict(extra="allow", json_schema_extra={"examples": [FACTURA_EXAMPLE]})

    id: ExternalId
    numero: Annotated[
        str,
        StringConstraints(strip_whitespace=True, min_length=1, max_length=64),
        AfterValidator(no_nul),
        Field(
            json_schema_extra={"pattern": r"^[^\u0000]*[^\s\u0000\u001c-\u001f\u0085][^\u0000]*$"}
        ),
    ]
    cliente_id: ExternalId | None = None
    cif_nif: (
        Annotated[
            str,
            StringConstraints(max_length=32),
            AfterValidator(no_nul),
            Field(json_schema_extra={"pattern": r"^[^\u0000]*$"}),
        ]
        | None
    ) = None
    fecha_emision: date = Field(
        description="Entre 2000-01-01 y hoy + 366 días (si no, 422 y no se registra nada)"
    )
    fecha_vencimiento: date | None = None
    base_imponible: Importe = Field(
        description="Base imponible (sin IVA); negativa en una rectificativa"
    )
    total: Importe = Field(description="Total con IVA; negativo en una rectificativa")
    moneda: Annotated[
        str,
        StringConstraints(min_length=3, max_length=3),
        Field(json_schema_extra={"enum": ["EUR"]}, description="Solo EUR (también en minúsculas)"),
    ] = "EUR"
    fecha_pago: date | None = Field(None, description="No posterior a hoy")
    anulada: bool = Field(False, description="Solo en la importación: la factura está anulada")
    rectifica: ExternalId | None = Field(
        None, description="En una rectificativa (importes negativos): id de la factura que corrige"
    )
    version: int | None = Field(
        None,
        ge=0,
        le=2**53,
        description="Versión de la factura en SmartBilling: un evento con una versión menor que "
        "la guardada no cambia nada (estado `obsoleto`)",
    )
    cobros: list[CobroCompleto] | None = Field(
        None,
        max_length=100,
        description="Los cobros de la factura (sobre todo en la importación), cada uno con id, "
        "fecha e importe; idempotentes por id",
    )

    # Each rule on the field it is about, so a 422's `errors[].campo` points at it
    # (`factura.moneda`, not `factura`); a rule about two fields sits on the later one and
    # reads the earlier one from `info.data` (absent when that one was itself invalid).

    @field_validator("fecha_vencimiento")
    @classmethod
    def _vence_tras_emitirse(cls, value: date | None, info: ValidationInfo) -> date | None:
        emision = info.data.get("fecha_emision")
        if value is not None and emision is not None and value < emision:
            raise ValueError(f"es anterior a fecha_emision ({emision.isoformat()})")
        return value

    @field_validator("total")
    @classmethod
    def _mismo_signo(cls, value: Decimal, info: ValidationInfo) -> Decimal:
        base = info.data.get("base_imponible")
        if base is not None and base and value and (base < 0) != (value < 0):
            raise ValueError("debe tener el mismo signo que base_imponible")
        return value

    @field_validator("moneda")
    @classmethod
    def _solo_euros(cls, value: str) -> str:
        if value.upper() != "EUR":
            raise ValueError(f"'{value}' no admitida: el CRM solo lleva euros (EUR)")
        return "EUR"

    @field_validator("rectifica")
    @classmethod
    def _no_a_si_misma(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is not None and value == info.data.get("id"):
            raise ValueError("una factura no puede rectificarse a sí misma")
        return value

    @field_validator("cobros")
    @classmethod
    def _cobros_distintos(cls, value: list[CobroCompleto] | None) -> list[CobroCompleto] | None:
        ids_cobro = [c.id for c in value or ()]
        if reservado := next((i for i in ids_cobro if de_pagada(i)), None):
            raise ValueError(_RESERVADO.format(reservado))
        if len(set(ids_cobro)) != len(ids_cobro):
            repetido = next(i for i in ids_cobro if ids_cobro.count(i) > 1)
            raise ValueError(f"el cobro '{repetido}' aparece dos veces")
        return value

    @model_validator(mode="after")
    def _rules(self) -> FacturaIn:
        if self.cliente_id is None and not self.cif_nif:
            raise ErrorDeCampo(
                "cliente_id", "hace falta cliente_id o cif_nif para saber de qué cliente es"
            )
        self.cif_nif = _compact(self.cif_nif)
        return self

    def cliente_no_encontrado(self) -> str:
        """That its client is not in the CRM, naming only what the invoice sent."""
        partes = [
            f"el {nombre} '{valor}'"
            for nombre, valor in (("cliente_id", self.cliente_id), ("cif_nif", self.cif_nif))
            if valor
        ]
        if len(partes) == 1:
            return f"{partes[0]} no está en el CRM"
        return f"ni {' ni '.join(partes)} están en el CRM"


def fechas_fuera_de_rango(factura: FacturaIn, hoy: date) -> list[tuple[str, str]]:
    """(field, Spanish message) for each date of `factura` outside the accepted range."""
    problemas = []
    emision_max = hoy + timedelta(days=EMISION_MAX_DIAS_FUTURO)
    if not FECHA_EMISION_MIN <= factura.fecha_emision <= emision_max:
        problemas.append(
            (
                "fecha_emision",
                f"fecha_emision {factura.fecha_emision.isoformat()} fuera de rango: debe estar "
                f"entre {FECHA_EMISION_MIN.isoformat()} y {emision_max.isoformat()}",
            )
        )
    if factura.fecha_pago is not None and factura.fecha_pago > hoy:
        problemas.append(
            (
                "fecha_pago",
                f"fecha_pago {factura.fecha_pago.isoformat()} es posterior a hoy "
                f"({hoy.isoformat()}): un pago no puede ser futuro",
            )
        )
    for posicion, cobro in enumerate(factura.cobros or ()):
        if cobro.fecha > hoy:
            problemas.append(
                (
                    f"cobros.{posicion}.fecha",
                    f"la fecha del cobro '{cobro.id}' ({cobro.fecha.isoformat()}) es posterior a "
                    f"hoy ({hoy.isoformat()}): un cobro no puede ser futuro",
                )
            )
    return problemas


def cobro_fuera_de_rango(cobro: CobroIn, hoy: date) -> str | None:
    """The Spanish message when the event's payment is dated after `hoy`."""
    if cobro.fecha is not None and cobro.fecha > hoy:
        return (
            f"cobro.fecha {cobro.fecha.isoformat()} es posterior a hoy ({hoy.isoformat()}): "
            "un cobro no puede ser futuro"
        )
    return None


TipoEvento = Literal[
    "factura.emitida",
    "factura.pagada",
    "factura.anulada",
    "factura.cobro",
    "factura.cobro_devuelto",
]


class EventoFactura(SinNulModel):
    """The webhook body."""

    model_config = ConfigDict(
        extra="ignore",
        json_schema_extra={"examples": [{"tipo": "factura.emitida", "factura": FACTURA_EXAMPLE}]},
    )

    tipo: TipoEvento
    factura: FacturaIn
    cobro: CobroIn | None = Field(
        None, description="En factura.cobro (id, fecha, importe) y factura.cobro_devuelto (id)"
    )

    @model_validator(mode="after")
    def _reglas_del_tipo(self) -> EventoFactura:
        if self.tipo == "factura.pagada" and self.factura.fecha_pago is None:
            raise ErrorDeCampo(
                "factura.fecha_pago", "un evento factura.pagada necesita factura.fecha_pago"
            )
        if self.tipo in ("factura.cobro", "factura.cobro_devuelto") and self.cobro is None:
            raise ErrorDeCampo("cobro", f"un evento {self.tipo} necesita el objeto cobro")
        propio = self.factura.id + SUFIJO_PAGADA
        if self.cobro is not None and de_pagada(self.cobro.id):
            if self.tipo != "factura.cobro_devuelto":
                raise ErrorDeCampo("cobro.id", _RESERVADO.format(self.cobro.id))
            if self.cobro.id != propio:
                raise ErrorDeCampo(
                    "cobro.id",
                    f"para devolver un factura.pagada de esta factura, usa el id '{propio}'",
                )
        if (
            self.tipo == "factura.cobro"
            and self.cobro is not None
            and (self.cobro.fecha is None or self.cobro.importe is None)
        ):
            falta = "cobro.fecha" if self.cobro.fecha is None else "cobro.importe"
            raise ErrorDeCampo(
                falta, "un evento factura.cobro necesita cobro.fecha y cobro.importe"
            )
        return self


class ResultadoEvento(OutputModel):
    estado: Literal["procesado", "duplicado", "obsoleto"]
    webhook_id: str
    factura_id: str
    cliente_id: str | None = None


class ResultadoImportacion(OutputModel):
    recibidas: int
    nuevas: int
    actualizadas: int
    sin_cambios: int
    clientes_afectados: int = Field(
        description="Clientes con alguna factura nueva o cambiada por esta importación"
    )


class CobroRead(OutputModel):
    """A payment of the ledger; `importe` null is a `factura.pagada` settlement (the rest),
    and `importe_liquidado` the amount the ledger settled it for."""

    cobro_id: str = Field(serialization_alias="id")
    fecha: date | None
    importe: Money | None
    importe_liquidado: Money | None = Field(
        description="En un cobro de factura.pagada (importe null): lo que la factura aún "
        "debía cuando la saldó; null en los demás"
    )
    devuelto: bool
    fecha_devolucion: date | None


class FacturaRead(OutputModel):
    """An invoice of the ledger; `id` is its id in SmartBilling, as on the hook."""

    factura_id: str = Field(serialization_alias="id")
    cliente_id: str
    numero: str
    fecha_emision: date
    fecha_vencimiento: date | None
    base_imponible: Money
    total: Money
    moneda: str
    fecha_pago: date | None = Field(
        description="Fecha en que los cobros la saldaron; null si está abierta o la saldó un abono"
    )
    anulada: bool
    rectifica: str | None
    version: int | None
    credito_aplicado: Money = Field(description="Abonos (rectificativas) aplicados a la factura")
    pendiente: Money = Field(description="Lo que queda por cobrar: total − cobros − abonos")
    cobros: list[CobroRead] = Field(
        default_factory=list, description="Sus cobros, también los devueltos"
    )


def campos_desconocidos(factura: FacturaIn) -> list[str]:
    """The fields of `factura` (and of its payments) that it does not know, as paths from
    the invoice (`fechapago`, `cobros.0.fehca`)."""
    campos = list(factura.model_extra or {})
    for posicion, cobro in enumerate(factura.cobros or ()):
        campos += [f"cobros.{posicion}.{campo}" for campo in cobro.model_extra or {}]
    return campos
