"""The hook's intake: body cap, Standard Webhooks signature over the raw body, then parsing."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.exceptions import RequestValidationError
from pydantic import TypeAdapter, ValidationError

from smartbilling_crm.facturacion import firma
from smartbilling_crm.facturacion.schemas import EventoFactura
from smartbilling_crm.kit.deps import NowDep, SettingsDep, read_body_capped
from smartbilling_crm.kit.excepciones import UnauthorizedError

logger = logging.getLogger("smartbilling_crm.webhook")

WEBHOOK_MAX_BYTES = 64 * 1024


@dataclass(frozen=True)
class SignedWebhook:
    webhook_id: str
    evento: EventoFactura


_evento_adapter = TypeAdapter(EventoFactura)


async def verified_webhook(request: Request, settings: SettingsDep, now: NowDep) -> SignedWebhook:
    """Size check, then Standard Webhooks signature over the raw body, then parsing."""
    body = await read_body_capped(request, WEBHOOK_MAX_BYTES)
    headers = request.headers
    try:
        firma.verificar(
            settings.webhook_secrets,
            headers.get("webhook-id"),
            headers.get("webhook-timestamp"),
            headers.get("webhook-signature"),
            body,
            now,
        )
    except firma.FirmaInvalida as exc:
        logger.warning("webhook rejected: %s", exc)
        raise UnauthorizedError(f"Webhook rechazado: {exc}") from exc
    webhook_id = headers["webhook-id"]
    if len(webhook_id) > 255:
        raise UnauthorizedError("Webhook rechazado: webhook-id demasiado largo")
    try:
        evento = _evento_adapter.validate_json(body)
    except ValidationError as exc:
        raise RequestValidationError(exc.errors(include_url=False), body=None) from exc
    return SignedWebhook(webhook_id=webhook_id, evento=evento)


WebhookDep = Annotated[SignedWebhook, Depends(verified_webhook)]
