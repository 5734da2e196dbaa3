"""API keys (contract §1): everything under /api/ needs one; docs and health are open."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest

from tests.api_helpers import assert_problem
from tests.conftest import API_KEY, Backend

HTTP_METHODS = ("get", "post", "put", "patch", "delete")
# The invoice hook is authenticated by its Standard Webhooks signature, not by a key.
SIGNATURE_AUTHENTICATED = "/api/webhooks/"


def api_operations(db: Backend) -> Iterator[tuple[str, str]]:
    """(method, concrete path) of every operation under /api/, with dummy path params."""
    for path, item in db.app.openapi()["paths"].items():
        if not path.startswith("/api/") or path.startswith(SIGNATURE_AUTHENTICATED):
            continue
        for method in HTTP_METHODS:
            if method in item:
                yield method, re.sub(r"\{[^}]+\}", "dummy-id", path)


def test_every_api_operation_needs_a_key(anon: httpx.Client, db: Backend) -> None:
    operations = list(api_operations(db))
    assert len(operations) >= 20

    for method, path in operations:
        response = anon.request(method.upper(), path)
        assert response.status_code == 401, f"{method.upper()} {path}: {response.status_code}"
        assert response.headers.get("www-authenticate") == "Bearer"
        assert_problem(response, 401)


@pytest.mark.parametrize(
    "headers",
    [
        {"Authorization": "Bearer wrong-key"},
        {"X-API-Key": "wrong-key"},
        {"Authorization": f"Basic {API_KEY}"},
        {"Authorization": API_KEY},
        {"Authorization": "Bearer"},
        {"X-API-Key": ""},
    ],
)
def test_wrong_or_malformed_key_is_401(anon: httpx.Client, headers: dict[str, str]) -> None:
    assert_problem(anon.get("/api/clientes/", headers=headers), 401)


def test_a_request_refused_for_its_key_writes_nothing(anon: httpx.Client) -> None:
    body = {"nombre_empresa": "Intruso", "email": "intruso@acme.es"}

    assert_problem(anon.post("/api/clientes/", json=body), 401)

    listed = anon.get("/api/clientes/", headers={"X-API-Key": API_KEY}).json()
    assert listed["total"] == 0


@pytest.mark.parametrize(
    "headers", [{"Authorization": f"Bearer {API_KEY}"}, {"X-API-Key": API_KEY}]
)
def test_bearer_and_x_api_key_both_work(anon: httpx.Client, headers: dict[str, str]) -> None:
    created = anon.post(
        "/api/clientes/",
        json={"nombre_empresa": "Acme", "email": "hola@acme.es"},
        headers=headers,
    )

    assert created.status_code == 201, created.text
    assert anon.get("/api/clientes/", headers=headers).json()["total"] == 1


@pytest.mark.parametrize("path", ["/docs", "/openapi.json", "/healthz"])
def test_docs_and_health_are_open(anon: httpx.Client, path: str) -> None:
    assert anon.get(path).status_code == 200


def test_healthz_reports_the_database(anon: httpx.Client) -> None:
    assert anon.get("/healthz").json() == {"status": "ok", "database": "ok"}
