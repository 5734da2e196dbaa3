"""Hardening II (issue 15) on the invoice hook: hostile headers and values are refused
with the documented status, never a 500."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from ..conftest import WEBHOOK_SECRET, Backend
from ..webhook_helpers import WEBHOOK_PATH, evento, sign

NOW = datetime(2026, 1, 20, 10, 0, tzinfo=UTC)


@pytest.fixture
def cliente(db: Backend, api: httpx.Client) -> dict[str, Any]:
    db.clock.set(NOW)
    response = api.post(
        "/api/clientes/",
        json={"id": "abc123", "nombre_empresa": "Empresa XYZ S.L.", "email": "c@xyz.es"},
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


@pytest.mark.parametrize("timestamp", ["9" * 400, "1_768_903_200", "+1768903200"])
def test_a_malformed_timestamp_is_401_even_when_signed(
    api: httpx.Client, cliente: dict[str, Any], timestamp: str
) -> None:
    body = json.dumps(evento("emitida")).encode()
    headers = {
        "content-type": "application/json",
        "webhook-id": "msg_ts",
        "webhook-timestamp": timestamp,
        "webhook-signature": sign(WEBHOOK_SECRET, "msg_ts", timestamp, body),  # type: ignore[arg-type],
    }
    response = api.post(WEBHOOK_PATH, content=body, headers=headers)
    assert response.status_code == 401, response.text
    assert "webhook-timestamp" in response.json()["detail"]
