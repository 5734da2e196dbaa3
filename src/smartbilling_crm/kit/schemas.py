"""Wire types shared by every schema: money, dates, Spanish enums and field aliases.

Wire names are the contract's Spanish names (accents included); inputs also
accept the plain-ASCII spelling. Python attributes are ASCII.
"""

from __future__ import annotations

import json
from contextvars import ContextVar
from datetime import UTC, datetime, tzinfo
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from pydantic import (
    AfterValidator,
    AliasChoices,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    GetJsonSchemaHandler,
    PlainSerializer,
    StringConstraints,
    WithJsonSchema,
    field_validator,
    model_validator,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

from smartbilling_crm.dominio import (
    EstadoCliente,
    EstadoOportunidad,
    RiesgoImpago,
    Severidad,
    TamanoEmpresa,
    TipoActividad,
)
from smartbilling_crm.kit.validators import fold, normalise_email, normalise_phone, normalise_tax_id


def _accept_ascii(enum_cls: type[StrEnum]) -> Any:
    by_folded = {fold(member.value): member for member in enum_cls}

    def parse(value: Any) -> Any:
        if isinstance(value, str):
            return by_folded.get(fold(value.strip()), value)
        return value

    return BeforeValidator(parse)


EstadoClienteIn = Annotated[EstadoCliente, _accept_ascii(EstadoCliente)]
RiesgoImpagoIn = Annotated[RiesgoImpago, _accept_ascii(RiesgoImpago)]
SeveridadIn = Annotated[Severidad, _accept_ascii(Severidad)]
TamanoEmpresaIn = Annotated[TamanoEmpresa, _accept_ascii(TamanoEmpresa)]
TipoActividadIn = Annotated[TipoActividad, _accept_ascii(TipoActividad)]
# What a user may write: `factura` and `pago` entries are the invoice hook's (the service
# refuses them with a 422 that says so); the schema offers only the others.
TipoActividadManualIn = Annotated[
    TipoActividad,
    _accept_ascii(TipoActividad),
    WithJsonSchema(
        {
            "type": "string",
            "enum": [
                t.value
                for t in TipoActividad
                if t not in (TipoActividad.FACTURA, TipoActividad.PAGO)
            ],
        }
    ),
]
EstadoOportunidadIn = Annotated[EstadoOportunidad, _accept_ascii(EstadoOportunidad)]


def _estado_a_mano(value: Any) -> Any:
    """As `_accept_ascii`; a text that is no state at all is refused saying what may be
    sent (the enum's own message listed all five states, four of which the service then
    refuses)."""
    estado = _ESTADOS.get(fold(value.strip())) if isinstance(value, str) else None
    if value is not None and estado is None:  # a number, a list... or no state's name
        raise ValueError(
            "valor no admitido: a mano solo puede marcarse 'cliente_perdido', o null "
            "para que el sistema calcule el estado"
        )
    return estado


_ESTADOS = {fold(member.value): member for member in EstadoCliente}
# The one state a client is put in by hand (create and PATCH): the other states parse, so
# the service can refuse them with a 422 that says why, but the schema offers only this one.
EstadoClienteManualIn = Annotated[
    EstadoCliente,
    BeforeValidator(_estado_a_mano),
    WithJsonSchema({"type": "string", "enum": [EstadoCliente.CLIENTE_PERDIDO.value]}),
]


def _money_to_json(value: Decimal) -> float:
    return float(value)


# Decimal end to end; a JSON number on the wire.
Money = Annotated[
    Decimal,
    PlainSerializer(_money_to_json, return_type=float, when_used="json"),
]


def importe_schema(minimo: float, maximo: float) -> WithJsonSchema:
    """What an amount input really takes: a JSON number with at most two decimals
    (`36.3`, not `36.300000000000004` nor the string "36.30")."""
    return WithJsonSchema(
        {"type": "number", "minimum": minimo, "maximum": maximo, "multipleOf": 0.01}
    )


MoneyIn = Annotated[
    Decimal,
    Field(max_digits=14, decimal_places=2, ge=0, allow_inf_nan=False),
    importe_schema(0, 999_999_999_999.99),
    PlainSerializer(_money_to_json, return_type=float, when_used="json"),
]


# The business time zone naive inputs are read in. Set for each request from the app's
# own settings (`kit.middleware.ZonaHorariaMiddleware`) and by the CLI from its settings,
# so two apps in one process never read each other's zone, nor the environment's.
_MADRID = ZoneInfo("Europe/Madrid")
ZONA_NEGOCIO: ContextVar[tzinfo | None] = ContextVar("zona_negocio", default=None)


def zona_negocio() -> tzinfo:
    """The business time zone of this request (or CLI run): what "local" means."""
    return ZONA_NEGOCIO.get() or _MADRID


def _assume_business_timezone(value: datetime) -> datetime:
    if value.tzinfo is None:
        value = value.replace(tzinfo=zona_negocio())
    try:
        # Stored in UTC: an instant at the edge of year 1 or 9999 has no UTC form.
        value.astimezone(UTC)
    except OverflowError as exc:
        raise ValueError("fecha fuera de rango") from exc
    return value


# What the schema offers for an input instant: ISO 8601 with seconds 00-59 (no leap second),
# a year the database can hold in UTC whatever the offset, and an optional zone.
_INSTANTE = (
    r"^[1-8][0-9]{3}-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])[Tt]([01][0-9]|2[0-3]):[0-5][0-9]"
    r"(:[0-5][0-9](\.[0-9]{1,6})?)?([Zz]|[+-]([01][0-9]|2[0-3]):[0-5][0-9])?$"
)

# Naive inputs are read in the business time zone (CRM_TIMEZONE).
LocalDatetime = Annotated[
    datetime,
    AfterValidator(_assume_business_timezone),
    Field(json_schema_extra={"pattern": _INSTANTE}),
]


def _in_business_timezone(value: datetime) -> datetime:
    if value.tzinfo is None:  # stored instants are UTC
        value = value.replace(tzinfo=UTC)
    local = value.astimezone(zona_negocio())
    offset = local.utcoffset()
    if offset is not None and offset.seconds % 60:
        # Before standard time (Madrid kept -00:14:44 until 1901) the offset has seconds,
        # which the JSON's ±HH:MM cannot carry: the instant would move. Said in UTC instead.
        return value.astimezone(UTC)
    return local


# Every instant goes out with the business time zone's offset, one style everywhere
# (`2025-12-12T09:30:00+01:00`), whatever the database handed back (UTC, `Z`).
Instante = Annotated[
    datetime, PlainSerializer(_in_business_timezone, return_type=datetime, when_used="json")
]


def no_nul(value: str) -> str:
    """Refuse U+0000: PostgreSQL cannot store it, so it would fail at the database."""
    if "\x00" in value:
        raise ValueError("no puede contener el carácter nulo (U+0000)")
    return value


# What the schema publishes for text is what the validators accept (schemathesis checks the
# two agree): the patterns below are documentation of the checks, which stay in Python.
_SIN_NUL = Field(json_schema_extra={"pattern": r"^[^\u0000]*$"})
# Not only blanks (they are stripped) and no NUL. Python strips \x1c-\x1f and \x85 too.
_CON_TEXTO = Field(
    json_schema_extra={"pattern": r"^[^\u0000]*[^\s\u0000\u001c-\u001f\u0085][^\u0000]*$"}
)

# Text from the outside world (bodies, query strings) never carries NUL.
_NoNul = AfterValidator(no_nul)
CleanStr = Annotated[str, _NoNul, _SIN_NUL]
Text200 = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=200),
    _NoNul,
    _CON_TEXTO,
]
Text100 = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=100),
    _NoNul,
    _CON_TEXTO,
]
Text500 = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500), _NoNul, _SIN_NUL]
LongText = Annotated[str, StringConstraints(max_length=5000), _NoNul, _SIN_NUL]
# A reference to another row by its id (e.g. `contacto_id`).
RefId = Annotated[str, StringConstraints(min_length=1, max_length=64), _NoNul, _SIN_NUL]
# An address email-validator takes: a dot-atom local part, a domain with a letter TLD.
_EMAIL = (
    r"^[A-Za-z0-9_%+-]+(\.[A-Za-z0-9_%+-]+)*"
    r"@([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,24}$"
)
EmailIn = Annotated[
    str,
    StringConstraints(max_length=254),
    AfterValidator(normalise_email),
    Field(json_schema_extra={"pattern": _EMAIL}),
]
# The schema shows the Spanish shape (9 digits, spaces allowed, optional +34); the API also
# takes any number phonenumbers holds valid, foreign ones with their +prefix.
_TELEFONO = r"^(\+34 ?)?[689]( ?[0-9]){8}$"
PhoneIn = Annotated[
    str,
    StringConstraints(max_length=40),
    AfterValidator(normalise_phone),
    Field(
        json_schema_extra={"pattern": _TELEFONO},
        description="Teléfono español (p. ej. +34 91 123 4567); también internacional con +",
    ),
]
# A NIF, NIE or CIF (optionally ES-prefixed), or an EU VAT number; the API also takes spaces,
# dots and dashes in it and lower case, and keeps a wrong check digit flagged.
_NIF_ES = r"([0-9]{8}[A-Z]|[XYZKLM][0-9]{7}[A-Z]|[A-HJ-NP-SUVW][0-9]{7}[0-9A-J])"
_PAISES_UE = "AT|BE|BG|CY|CZ|DE|DK|EE|EL|FI|FR|GR|HR|HU|IE|IT|LT|LU|LV|MT|NL|PL|PT|RO|SE|SI|SK|XI"
TaxIdIn = Annotated[
    str,
    StringConstraints(max_length=32),
    AfterValidator(normalise_tax_id),
    Field(
        json_schema_extra={
            "pattern": rf"^(ES)?{_NIF_ES}$|^({_PAISES_UE})[0-9A-Z+*]{{2,13}}$",
            "examples": ["B12345674"],
        }
    ),
]
ExternalId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,64}$")]


def wire(name: str, default: Any = ..., *, ascii_alias: str | None = None, **kwargs: Any) -> Any:
    """A field whose wire name is `name` (accented) that also accepts its ASCII spelling."""
    plain = ascii_alias or fold(name)
    if plain == name:
        return Field(default, **kwargs)
    return Field(
        default,
        validation_alias=AliasChoices(name, plain),
        serialization_alias=name,
        **kwargs,
    )


def _defaults_in_words(schema: dict[str, Any]) -> None:
    """An input field's default goes to its description, out of the schema: generators
    such as openapi-typescript read a `default` as "always present" and would make the
    field mandatory in a request body."""
    for prop in schema.get("properties", {}).values():
        if "default" in prop:
            default = prop.pop("default")
            if default is not None:
                shown = json.dumps(default, ensure_ascii=False)
                prop["description"] = (
                    f"{prop.get('description', '')} (por defecto: {shown})".strip()
                )


# `omitible()`: the default of a PATCH field that may be left out but never set to null
# (its column is NOT NULL): the field's type is not nullable, so the schema and the 422
# agree. Unset fields are never read (updates apply `model_dump(exclude_unset=True)`).
def omitible(**kwargs: Any) -> Any:
    return Field(None, **kwargs)


class BodyModel(BaseModel):
    """A request body: its published schema tells defaults in words (see above)."""

    @classmethod
    def __get_pydantic_json_schema__(
        cls, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        schema = handler.resolve_ref_schema(handler(core_schema))
        _defaults_in_words(schema)
        return schema


def _sin_nul(value: Any) -> Any:
    # Strings, and lists of strings; a nested object is a model that checks itself, so
    # its error names its own field.
    if isinstance(value, str):
        no_nul(value)
    elif isinstance(value, list | tuple):
        for item in value:
            if isinstance(item, str):
                no_nul(item)
    return value


class SinNulModel(BodyModel):
    """Every text field of every body, at any depth, refuses U+0000 with a 422 naming the
    field: PostgreSQL cannot store it (a 500) and SQLite would store it silently."""

    @field_validator("*", mode="before")
    @classmethod
    def _sin_nul(cls, value: Any) -> Any:
        return _sin_nul(value)


class InputModel(SinNulModel):
    """Request bodies: unknown and read-only fields are refused with 422."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    @model_validator(mode="before")
    @classmethod
    def _una_grafia(cls, data: Any) -> Any:
        """A field sent in both its spellings (`tamaño_empresa` and `tamano_empresa`) is
        refused saying so; pydantic would call the second one an unknown field."""
        if isinstance(data, dict):
            for campo in cls.model_fields.values():
                alias = campo.validation_alias
                if isinstance(alias, AliasChoices):
                    dos = [n for n in alias.choices if isinstance(n, str) and n in data]
                    if len(dos) > 1:
                        raise ValueError(
                            f"'{dos[0]}' y '{dos[1]}' son el mismo campo: envía solo uno"
                        )
        return data


class OutputModel(BaseModel):
    """Response bodies, built from ORM rows or plain values. Every field is always
    present in the JSON, so the published (serialization) schema marks them all required,
    defaults included: a generated client needs no `?.` on them."""

    model_config = ConfigDict(
        from_attributes=True,
        populate_by_name=True,
        json_schema_serialization_defaults_required=True,
    )


# Fields the system computes; a body that sets one is refused naming it.
READ_ONLY_FIELDS = frozenset(
    {
        "ltv",
        "riesgo_impago",
        "fecha_primera_compra",
        "fecha_última_compra",
        "fecha_ultima_compra",
        "salud",
        "cif_nif_valido",
        "fecha_creacion",
        "fecha_actualizacion",
        "fecha_última_interaccion",
        "fecha_ultima_interaccion",
        "fecha_cierre_real",
        "contactos",
        "actividades_recientes",
        "oportunidades_abiertas",
        "cliente_id",
    }
)
