"""The rate limit (issue 15.8): keyed on who the caller is, not on how the header is
spelled; wrong keys throttled per address; bounded memory; the webhook on its own budget."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from smartbilling_crm.kit.limite import FALLOS_POR_MINUTO, RateLimitMiddleware
from smartbilling_crm.main import create_app

from .conftest import API_KEY, Backend, ServerThread, make_settings
from .webhook_helpers import evento, send


@pytest.fixture
def limitado(db: Backend) -> Iterator[str]:
    app = create_app(
        make_settings(db.url, CRM_MIGRATE_ON_START="false", CRM_RATE_LIMIT_POR_MINUTO="4")
    )
    with ServerThread(app) as server:
        yield server.base_url


def test_one_key_is_one_budget_however_it_is_spelled(limitado: str) -> None:
    spellings = [
        {"Authorization": f"Bearer {API_KEY}"},
        {"Authorization": f"bearer {API_KEY}"},
        {"Authorization": f"BEARER {API_KEY}"},
        {"X-API-Key": API_KEY},
    ]
    with httpx.Client(base_url=limitado) as client:
        statuses = [client.get("/api/clientes/", headers=h).status_code for h in spellings]
        assert statuses == [200, 200, 200, 200]
        assert client.get("/api/clientes/", headers=spellings[1]).status_code == 429


def test_wrong_keys_are_throttled_per_address(limitado: str) -> None:
    with httpx.Client(base_url=limitado) as client:
        statuses = [
            client.get("/api/clientes/", headers={"X-API-Key": f"adivina-{n}"}).status_code
            for n in range(8)
        ]
        budget = min(4, FALLOS_POR_MINUTO)
        assert statuses == [401] * budget + [429] * (8 - budget)
        # The right key still has its own budget.
        assert client.get("/api/clientes/", headers={"X-API-Key": API_KEY}).status_code == 200


def test_the_webhook_has_its_own_budget(limitado: str) -> None:
    with httpx.Client(base_url=limitado) as client:
        for _ in range(6):  # anonymous traffic from the same address uses up its budget
            client.get("/api/clientes/")
        assert client.get("/api/clientes/").status_code == 429
        # The signed webhook is not in that bucket: unknown client, 422, but not 429.
        response = send(client, evento("emitida"), now=datetime.now(UTC))
        assert response.status_code == 422, response.text


def test_memory_is_bounded_whatever_the_callers() -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    limite = RateLimitMiddleware(app, per_minute=5, api_keys=[API_KEY], max_buckets=1000)

    async def noop(_: Any) -> None:
        return None

    async def receive() -> Any:
        return {"type": "http.request", "body": b""}

    async def run() -> None:
        for n in range(20_000):
            scope = {
                "type": "http",
                "path": "/api/clientes/",
                "headers": [(b"x-api-key", f"clave-{n}".encode())],
                "client": (f"10.{n // 65536}.{n // 256 % 256}.{n % 256}", 1234),
            }
            await limite(scope, receive, noop)

    asyncio.run(run())
    assert len(limite.buckets) <= 1000
    # 20,000 wrong keys from one address are one bucket.
    limite.buckets.clear()

    async def una_direccion() -> None:
        for n in range(20_000):
            scope = {
                "type": "http",
                "path": "/api/clientes/",
                "headers": [(b"x-api-key", f"clave-{n}".encode())],
                "client": ("10.0.0.1", 1234),
            }
            await limite(scope, receive, noop)

    asyncio.run(una_direccion())
    assert len(limite.buckets) == 1
