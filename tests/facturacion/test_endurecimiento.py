"""Hardening II (issue 15) on the invoice hook: hostile headers and values are refused
with the documented status, never a 500."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from ..conftest import WEBHOOK_SECRET, Backend
from ..webhook_helpers import WEBHOOK_PATH, evento, factura, send, sign

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


# --- 15.3: NUL in text fields --------------------------------------------------------


@pytest.mark.parametrize("campo", ["numero", "cif_nif"])
def test_nul_in_an_invoice_text_field_is_422_and_records_nothing(
    api: httpx.Client, db: Backend, cliente: dict[str, Any], campo: str
) -> None:
    valor = {"numero": "2025/\x000123", "cif_nif": "B1234567\x004"}[campo]
    por_webhook = send(api, evento("emitida", **{campo: valor}), now=NOW)
    assert por_webhook.status_code == 422, por_webhook.text
    assert campo in str(por_webhook.json()["errors"])
    importada = api.post("/api/facturas/importar", json=[factura(**{campo: valor})])
    assert importada.status_code == 422, importada.text
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM facturas_ledger")).scalar_one() == 0
        assert conn.execute(text("SELECT count(*) FROM webhook_eventos")).scalar_one() == 0


# --- 15.11: invoice dates -------------------------------------------------------------


@pytest.mark.parametrize(
    ("cambios", "campo"),
    [
        ({"fecha_emision": "1999-12-31"}, "fecha_emision"),
        ({"fecha_emision": "2027-01-22"}, "fecha_emision"),  # NOW + 367 days
        ({"fecha_emision": "6000-01-01"}, "fecha_emision"),
        ({"fecha_emision": "2026-01-10", "fecha_pago": "2026-01-21"}, "fecha_pago"),
    ],
)
def test_invoice_dates_out_of_range_are_422_in_spanish_and_record_nothing(
    api: httpx.Client, db: Backend, cliente: dict[str, Any], cambios: dict[str, str], campo: str
) -> None:
    tipo = "pagada" if "fecha_pago" in cambios else "emitida"
    por_webhook = send(api, evento(tipo, **cambios), now=NOW)
    assert por_webhook.status_code == 422, por_webhook.text
    assert por_webhook.json()["errors"][0]["campo"] == f"factura.{campo}"
    assert "fuera de rango" in por_webhook.text or "posterior a hoy" in por_webhook.text
    importada = api.post("/api/facturas/importar", json=[factura(**cambios)])
    assert importada.status_code == 422, importada.text
    assert importada.json()["errors"][0]["campo"] == f"0.{campo}"
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM facturas_ledger")).scalar_one() == 0
        assert conn.execute(text("SELECT count(*) FROM webhook_eventos")).scalar_one() == 0
    # The client's later events still work.
    assert send(api, evento("emitida"), now=NOW).status_code == 200


def test_the_edges_of_the_accepted_range_pass(api: httpx.Client, cliente: dict[str, Any]) -> None:
    for n, emision in enumerate(["2000-01-01", "2027-01-21"]):  # NOW + 366 days
        response = send(
            api, evento("emitida", factura_id=f"fac_borde_{n}", fecha_emision=emision), now=NOW
        )
        assert response.status_code == 200, response.text
    pagada = evento(
        "pagada", factura_id="fac_borde_0", fecha_emision="2000-01-01", fecha_pago="2026-01-20"
    )
    assert send(api, pagada, now=NOW).status_code == 200
    assert api.get("/api/clientes/abc123").status_code == 200


# --- 15.5: sums that fit, races that end in 200/409/503 ----------------------------------


def test_the_largest_amounts_sum_without_overflow(
    api: httpx.Client, cliente: dict[str, Any]
) -> None:
    maximo = 10**11
    lote = [
        factura(f"fac_max_{n}", fecha_emision=f"2025-{n + 1:02d}-01", base=maximo, total=maximo)
        for n in range(12)
    ]
    response = api.post("/api/facturas/importar", json=lote)
    assert response.status_code == 200, response.text
    assert (
        send(
            api, evento("emitida", factura_id="fac_max_x", base=maximo, total=maximo), now=NOW
        ).status_code
        == 200
    )
    cliente_360 = api.get("/api/clientes/abc123")
    assert cliente_360.status_code == 200
    assert Decimal(str(cliente_360.json()["ltv"])) == Decimal(13 * maximo)
    assert api.get("/api/dashboard").status_code == 200


def test_one_invoice_id_for_several_clients_at_once_is_one_200_and_409s(
    db: Backend, api: httpx.Client, cliente: dict[str, Any]
) -> None:
    hilos = 8
    for n in range(hilos):
        creado = api.post(
            "/api/clientes/",
            json={"id": f"c{n}", "nombre_empresa": f"C{n} S.L.", "email": f"c{n}@c.es"},
        )
        assert creado.status_code == 201
    barrera = threading.Barrier(hilos)
    statuses: list[int] = []

    def entregar(n: int) -> None:
        with httpx.Client(base_url=db.server.base_url, timeout=60) as propio:
            barrera.wait()
            response = send(
                propio, evento("emitida", factura_id="fac_disputada", cliente_id=f"c{n}"), now=NOW
            )
            statuses.append(response.status_code)

    threads = [threading.Thread(target=entregar, args=(n,)) for n in range(hilos)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert set(statuses) <= {200, 409, 503}, statuses
    assert statuses.count(200) == 1, statuses
