"""The invoice hook (signed, exactly once) and the history backfill (contract §3)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body

from smartbilling_crm.facturacion import service as facturas_service
from smartbilling_crm.facturacion.schemas import (
    FACTURA_EXAMPLE,
    CobroIn,
    EventoFactura,
    FacturaIn,
    ResultadoEvento,
    ResultadoImportacion,
)
from smartbilling_crm.facturacion.webhook import WebhookDep
from smartbilling_crm.kit.deps import ApiKeyDep, ContextoDep, EnUnidadDep
from smartbilling_crm.kit.errores import CONFLICT, INVALID, UNAUTHORIZED, problem

router = APIRouter(tags=["Facturación"])

MAX_IMPORTAR = 1000

# The body is read raw (the signature covers its exact bytes), so its schema is
# declared by hand; FacturaIn is in the components through `importar`.
_FACTURA_REF = {"$ref": "#/components/schemas/FacturaIn"}
# EventoFactura's rules said in the schema: a `factura.pagada` carries its fecha_pago, a
# `factura.cobro` its payment (id, date, amount), a `factura.cobro_devuelto` the payment's id.
# CobroIn is flat, so it is inlined (it is no route's model, hence in no component).
_COBRO = CobroIn.model_json_schema()
_COBRO_DEVUELTO = {**_COBRO, "required": ["id"]}


def _con_cobro(tipo: str, cobro: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["tipo", "factura", "cobro"],
        "properties": {
            "tipo": {"type": "string", "const": tipo},
            "factura": _FACTURA_REF,
            "cobro": cobro,
        },
    }


_evento_schema: dict[str, Any] = {
    "title": "EventoFactura",
    "description": EventoFactura.__doc__,
    "anyOf": [
        {
            "type": "object",
            "required": ["tipo", "factura"],
            "properties": {
                "tipo": {"type": "string", "enum": ["factura.emitida", "factura.anulada"]},
                "factura": _FACTURA_REF,
                "cobro": _COBRO,  # read and ignored
            },
        },
        {
            "type": "object",
            "required": ["tipo", "factura"],
            "properties": {
                "tipo": {"type": "string", "const": "factura.pagada"},
                "cobro": _COBRO,  # read and ignored
                "factura": {
                    "allOf": [
                        _FACTURA_REF,
                        {
                            "type": "object",
                            "required": ["fecha_pago"],
                            "properties": {"fecha_pago": {"type": "string", "format": "date"}},
                        },
                    ]
                },
            },
        },
        _con_cobro("factura.cobro", {"$ref": "#/components/schemas/CobroCompleto"}),
        _con_cobro("factura.cobro_devuelto", _COBRO_DEVUELTO),
    ],
}
# The Standard Webhooks headers: read and checked by the signature verification
# (a bad one is a 401, never a 422), declared here so SDKs and the docs know them.
_webhook_headers = [
    {
        "name": "webhook-id",
        "in": "header",
        "required": True,
        "description": "Id único del evento (`msg_...`); el mismo al reintentar ese evento",
        "schema": {"type": "string", "minLength": 1, "maxLength": 255},
    },
    {
        "name": "webhook-timestamp",
        "in": "header",
        "required": True,
        "description": "Segundos Unix de la firma; a más de 5 minutos del reloj del CRM, 401",
        "schema": {"type": "string", "pattern": "^[0-9]{1,12}$"},
    },
    {
        "name": "webhook-signature",
        "in": "header",
        "required": True,
        "description": "`v1,<HMAC-SHA256 en base64>` de `{id}.{timestamp}.{cuerpo}`; "
        "varias separadas por espacios",
        "schema": {"type": "string", "pattern": "^v1,[A-Za-z0-9+/=]+( v1,[A-Za-z0-9+/=]+)*$"},
    },
]
_webhook_body: dict[str, Any] = {
    "parameters": _webhook_headers,
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": _evento_schema,
                "example": {"tipo": "factura.emitida", "factura": FACTURA_EXAMPLE},
            }
        },
    },
}


@router.post(
    "/api/webhooks/facturas",
    response_model=ResultadoEvento,
    summary="Webhook de facturas (firmado)",
    openapi_extra=_webhook_body,
    responses={
        401: problem(401, "Firma ausente o no válida, o timestamp a más de 5 minutos"),
        413: problem(413, "Cuerpo de más de 64 KiB"),
        **CONFLICT,
        422: problem(
            422, "Evento no válido, moneda no EUR o cliente desconocido (no se registra nada)"
        ),
    },
)
async def recibir_evento_factura(webhook: WebhookDep, unidad: EnUnidadDep) -> ResultadoEvento:
    """Lo llama el módulo de facturación en cada factura emitida, pagada o anulada, firmado
    según Standard Webhooks (`webhook-id`, `webhook-timestamp`, `webhook-signature`).
    Un `webhook-id` repetido responde 200 con `estado: duplicado` y no cambia nada (sus
    `factura_id` y `cliente_id` son los de la entrega que se aplicó)."""
    # `webhook` first: the body is read and its signature checked before the request waits
    # for a database connection (and, on SQLite, for its turn to write). Then the event is
    # applied and committed in one worker thread (`EnUnidad`).
    return await unidad(
        lambda ctx: facturas_service.procesar_evento(ctx, webhook.webhook_id, webhook.evento)
    )


@router.post(
    "/api/facturas/importar",
    response_model=ResultadoImportacion,
    summary="Importar histórico de facturas",
    dependencies=[ApiKeyDep],
    responses={**UNAUTHORIZED, **CONFLICT, **INVALID},
)
def importar_facturas(
    ctx: ContextoDep,
    facturas: Annotated[
        list[FacturaIn], Body(min_length=1, max_length=MAX_IMPORTAR, examples=[[FACTURA_EXAMPLE]])
    ],
) -> ResultadoImportacion:
    """Carga el histórico de facturas (hasta 1000 por llamada) con las mismas reglas que el
    webhook; idempotente por `id`. Todo o nada: un cliente desconocido rechaza el lote (422)."""
    return facturas_service.importar(ctx, facturas)
