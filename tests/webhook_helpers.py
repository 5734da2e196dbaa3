"""Signing and sending invoice events as the invoicing module does, written
independently of the application's own signing code."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from datetime import date, datetime, timedelta
from typing import Any

import httpx

from .conftest import WEBHOOK_SECRET

WEBHOOK_PATH = "/api/webhooks/facturas"


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    key = base64.b64decode(secret.removeprefix("whsec_"))
    mac = hmac.new(key, f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(mac).decode()


def factura(
    factura_id: str = "fac_2025_0123",
    *,
    cliente_id: str | None = "abc123",
    numero: str | None = None,
    fecha_emision: str = "2025-12-12",
    fecha_vencimiento: str | None = "+30",
    base: float | str = 2066.12,
    total: float | str = 2500.00,
    fecha_pago: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    if fecha_vencimiento == "+30":  # the default: 30 days after issue
        fecha_vencimiento = (date.fromisoformat(fecha_emision) + timedelta(days=30)).isoformat()
    body = {
        "id": factura_id,
        "numero": numero or factura_id.replace("fac_", "").replace("_", "/"),
        "cliente_id": cliente_id,
        "fecha_emision": fecha_emision,
        "fecha_vencimiento": fecha_vencimiento,
        "base_imponible": base,
        "total": total,
        "moneda": "EUR",
        "fecha_pago": fecha_pago,
    }
    body.update(extra)
    return body


def evento(tipo: str, **kwargs: Any) -> dict[str, Any]:
    return {"tipo": f"factura.{tipo}", "factura": factura(**kwargs)}


def send(
    client: httpx.Client,
    payload: dict[str, Any] | None = None,
    *,
    now: datetime,
    msg_id: str | None = None,
    timestamp: int | None = None,
    secret: str = WEBHOOK_SECRET,
    body: bytes | None = None,
    signature: str | None = None,
) -> httpx.Response:
    """POST a signed event; every part can be overridden to forge a bad request."""
    raw = body if body is not None else json.dumps(payload).encode()
    msg_id = msg_id or f"msg_{uuid.uuid4().hex}"
    ts = timestamp if timestamp is not None else int(now.timestamp())
    headers = {
        "content-type": "application/json",
        "webhook-id": msg_id,
        "webhook-timestamp": str(ts),
        "webhook-signature": signature or sign(secret, msg_id, ts, raw),
    }
    return client.post(WEBHOOK_PATH, content=raw, headers=headers)
