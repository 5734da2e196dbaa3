"""The optional rate limit (`CRM_RATE_LIMIT_POR_MINUTO`), as pure ASGI middleware.

Who is counted is decided before any route runs, from the request alone:
- a configured API key, however it is sent (`Authorization: Bearer`, any spelling of the
  scheme, or `X-API-Key`): one budget per key, `per_minute` requests;
- the invoice webhook: its own budget per client address, `WEBHOOK_FACTOR` × `per_minute`
  (it is authenticated by its signature, checked later; anonymous traffic cannot use it up);
- anything else under `/api/` (no key, or a wrong one: it will be a 401): one budget per
  client address of `FALLOS_POR_MINUTO` requests, so guessing keys is throttled too.

Counters are fixed 60-second windows (two numbers per bucket), held in an LRU of at most
`max_buckets` entries: memory is bounded whatever the traffic. They live in each process:
with N workers a caller may get up to N × the budget, as the README says.
"""

from __future__ import annotations

import hmac
import threading
import time
from collections import OrderedDict
from collections.abc import Sequence

from starlette.types import ASGIApp, Receive, Scope, Send

from smartbilling_crm.kit.middleware import _send_problem

WEBHOOK_PATH = "/api/webhooks/facturas"
WEBHOOK_FACTOR = 10
FALLOS_POR_MINUTO = 10
MAX_BUCKETS = 10_000
VENTANA_S = 60.0


def credencial(headers: Sequence[tuple[bytes, bytes]]) -> bytes | None:
    """The API key a request carries, as `kit.deps.require_api_key` reads it: a Bearer
    token (the scheme in any case), else `X-API-Key`."""
    authorization = api_key = None
    for name, value in headers:
        if name == b"authorization" and authorization is None:
            authorization = value
        elif name == b"x-api-key" and api_key is None:
            api_key = value
    if authorization is not None:
        scheme, _, token = authorization.strip().partition(b" ")
        if scheme.lower() == b"bearer" and token.strip():
            return token.strip()
    return api_key


class RateLimitMiddleware:
    """429 with `Retry-After` once a caller's budget for the current minute is spent."""

    def __init__(
        self,
        app: ASGIApp,
        per_minute: int,
        api_keys: Sequence[str] = (),
        max_buckets: int = MAX_BUCKETS,
    ) -> None:
        self.app = app
        self.per_minute = per_minute
        self.keys = [key.encode() for key in api_keys]
        self.max_buckets = max_buckets
        self.buckets: OrderedDict[str, list[float]] = OrderedDict()
        self.lock = threading.Lock()

    def _key_index(self, candidate: bytes) -> int | None:
        found = None
        for n, key in enumerate(self.keys):  # every key compared, in constant time each
            if hmac.compare_digest(candidate, key):
                found = n
        return found

    def quien(self, scope: Scope) -> tuple[str, int]:
        """(bucket, budget per minute) of a request."""
        address = (scope.get("client") or ("?", 0))[0]
        if scope.get("path") == WEBHOOK_PATH:
            return f"webhook:{address}", self.per_minute * WEBHOOK_FACTOR
        candidate = credencial(scope.get("headers", []))
        index = self._key_index(candidate) if candidate else None
        if index is not None:
            return f"key:{index}", self.per_minute
        return f"anon:{address}", min(self.per_minute, FALLOS_POR_MINUTO)

    def _contar(self, bucket: str, budget: int, now: float) -> int:
        """0 when the request may go on; else the seconds to wait."""
        with self.lock:
            window = self.buckets.get(bucket)
            if window is None or now - window[0] >= VENTANA_S:
                window = [now, 0.0]
                self.buckets[bucket] = window
            self.buckets.move_to_end(bucket)
            while len(self.buckets) > self.max_buckets:
                self.buckets.popitem(last=False)
            if window[1] >= budget:
                return max(1, int(window[0] + VENTANA_S - now) + 1)
            window[1] += 1
            return 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope.get("path", "").startswith("/api/"):
            await self.app(scope, receive, send)
            return
        bucket, budget = self.quien(scope)
        retry_after = self._contar(bucket, budget, time.monotonic())
        if retry_after:
            await _send_problem(
                send,
                429,
                "Demasiadas peticiones",
                f"Límite de {budget} peticiones por minuto; reintenta en {retry_after} s",
                ((b"retry-after", str(retry_after).encode()),),
            )
            return
        await self.app(scope, receive, send)
