"""Standard Webhooks signatures: `v1,<base64(HMAC-SHA256(key, "{id}.{ts}.{body}"))>`.

Pure functions, shared by the hook (verification) and `webhook-send` (signing).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
from datetime import datetime

TOLERANCIA_SEGUNDOS = 5 * 60
PREFIJO_SECRETO = "whsec_"
# Unix seconds as ASCII digits only: `int()` alone would take "1_700", " 17", Arabic-Indic
# digits, and 400 digits that overflow the float comparison with the clock.
_TIMESTAMP = re.compile(r"[0-9]{1,12}")


class FirmaInvalida(Exception):
    """The request is not signed by the invoicing module; the message says why."""


def clave(secreto: str) -> bytes:
    """The HMAC key of a `whsec_<base64>` secret."""
    try:
        return base64.b64decode(secreto.removeprefix(PREFIJO_SECRETO), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError("un secreto de webhook debe ser whsec_<base64>") from exc


def firmar(secreto: str, webhook_id: str, timestamp: int, cuerpo: bytes) -> str:
    """The `webhook-signature` value for one secret."""
    contenido = f"{webhook_id}.{timestamp}.".encode() + cuerpo
    digest = hmac.new(clave(secreto), contenido, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def verificar(
    secretos: list[str],
    webhook_id: str | None,
    timestamp: str | None,
    firma: str | None,
    cuerpo: bytes,
    ahora: datetime,
) -> None:
    """Raise `FirmaInvalida` unless one listed signature matches one configured secret."""
    if not webhook_id or not timestamp or not firma:
        raise FirmaInvalida(
            "faltan las cabeceras webhook-id, webhook-timestamp o webhook-signature"
        )
    if not _TIMESTAMP.fullmatch(timestamp):
        raise FirmaInvalida("webhook-timestamp no es un número de segundos Unix")
    ts = int(timestamp)
    if abs(ahora.timestamp() - ts) > TOLERANCIA_SEGUNDOS:
        raise FirmaInvalida("webhook-timestamp fuera de la ventana de ±5 minutos")
    candidatas = [
        parte.split(",", 1)[1].encode()
        for parte in firma.split()
        if parte.startswith("v1,") and "," in parte
    ]
    if not candidatas:
        raise FirmaInvalida("webhook-signature no contiene ninguna firma v1")
    valida = False
    for secreto in secretos:
        esperada = firmar(secreto, webhook_id, ts, cuerpo).split(",", 1)[1].encode()
        for candidata in candidatas:
            # Every comparison runs: no early exit that would leak which secret matched.
            valida |= hmac.compare_digest(esperada, candidata)
    if not valida:
        raise FirmaInvalida("la firma no corresponde a ningún secreto configurado")
