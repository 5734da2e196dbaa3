"""FastAPI dependencies as `Annotated` aliases: the session, the API key and the clock."""

from __future__ import annotations

import hmac
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.exceptions import RequestValidationError
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from pydantic import TypeAdapter, ValidationError
from sqlalchemy.orm import Session

from .config import Settings
from .db import transaction
from .errors import PayloadTooLargeError, UnauthorizedError
from .schemas.facturas import EventoFactura
from .services import firma

logger = logging.getLogger("smartbilling_crm.webhook")


def get_settings_from_app(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


SettingsDep = Annotated[Settings, Depends(get_settings_from_app)]


def get_session(request: Request) -> Iterator[Session]:
    """One session per request: committed when the endpoint returns, rolled back on error;
    read-only for GET."""
    read_only = request.method in ("GET", "HEAD")
    with transaction(request.app.state.session_factory, read_only=read_only) as session:
        yield session


# scope="function": the commit happens before the response is sent, so a failed
# commit is reported to the caller instead of being lost after a 2xx.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]


def get_now() -> datetime:
    """The current instant; tests override this to pin "today"."""
    return datetime.now(UTC)


NowDep = Annotated[datetime, Depends(get_now)]

_bearer = HTTPBearer(
    auto_error=False, description="`Authorization: Bearer <clave>` con una clave de CRM_API_KEYS"
)
_api_key_header = APIKeyHeader(
    name="X-API-Key", auto_error=False, description="Alternativa: cabecera `X-API-Key: <clave>`"
)


def _matches_any(candidate: str, keys: list[str]) -> bool:
    # Compare against every key, without stopping early, in constant time each.
    found = False
    for key in keys:
        found |= hmac.compare_digest(candidate.encode(), key.encode())
    return found


def require_api_key(
    settings: SettingsDep,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)],
    header_key: Annotated[str | None, Security(_api_key_header)],
) -> None:
    """401 unless the request carries one of the configured API keys."""
    candidate = bearer.credentials if bearer is not None else header_key
    if not candidate or not _matches_any(candidate, settings.api_keys):
        raise UnauthorizedError("Falta la clave de API o no es válida")


ApiKeyDep = Depends(require_api_key)


WEBHOOK_MAX_BYTES = 64 * 1024


async def read_body_capped(request: Request, limit: int) -> bytes:
    """The raw body, refused with 413 as soon as it passes `limit` bytes (before parsing)."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLargeError(f"El cuerpo supera el máximo de {limit // 1024} KiB")
    chunks = bytearray()
    async for chunk in request.stream():
        chunks.extend(chunk)
        if len(chunks) > limit:
            raise PayloadTooLargeError(f"El cuerpo supera el máximo de {limit // 1024} KiB")
    return bytes(chunks)


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
        raise RequestValidationError(
            exc.errors(include_url=False, include_context=False), body=None
        ) from exc
    return SignedWebhook(webhook_id=webhook_id, evento=evento)


WebhookDep = Annotated[SignedWebhook, Depends(verified_webhook)]
