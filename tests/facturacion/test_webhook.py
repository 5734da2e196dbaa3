"""The invoice hook (contract §3): signatures, exactly-once, ledger rules and effects."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import anyio.to_thread
import httpx
import pytest
from sqlalchemy import text

from ..conftest import WEBHOOK_SECRET, WEBHOOK_SECRET_OLD, Backend
from ..webhook_helpers import WEBHOOK_PATH, evento, factura, send, sign

NOW = datetime(2026, 1, 20, 10, 0, tzinfo=UTC)


@pytest.fixture
def cliente(db: Backend, api: httpx.Client) -> dict[str, Any]:
    db.clock.set(NOW)
    response = api.post(
        "/api/clientes/",
        json={
            "id": "abc123",
            "nombre_empresa": "Empresa XYZ S.L.",
            "email": "contacto@xyz.es",
            "cif_nif": "B12345674",
        },
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


def timeline(api: httpx.Client, cliente_id: str = "abc123") -> list[dict[str, Any]]:
    response = api.get(f"/api/clientes/{cliente_id}/actividades", params={"limite": 100})
    assert response.status_code == 200
    return list(response.json())


def ledger(db: Backend) -> list[tuple[Any, ...]]:
    with db.engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT factura_id, cliente_id, fecha_pago, anulada, base_imponible "
                "FROM facturas_ledger ORDER BY factura_id"
            )
        ).all()
    return [(r[0], r[1], str(r[2]) if r[2] else None, bool(r[3]), Decimal(str(r[4]))) for r in rows]


# --- signatures ------------------------------------------------------------------


def test_signature_matches_a_fixed_vector_computed_with_openssl() -> None:
    # echo -n 'msg_fixed_vector.1767225600.{"tipo":"factura.emitida"}' |
    #   openssl dgst -sha256 -mac HMAC -macopt hexkey:<hex of the decoded secret> -binary | base64
    expected = "v1,NnWsxYUUuxVnCZLjL1AYQsku+3KR4g2RqljAXo3fsrY="
    body = b'{"tipo":"factura.emitida"}'
    assert sign(WEBHOOK_SECRET, "msg_fixed_vector", 1767225600, body) == expected
    from smartbilling_crm.facturacion import firma

    assert firma.firmar(WEBHOOK_SECRET, "msg_fixed_vector", 1767225600, body) == expected


def test_signed_event_is_processed(api: httpx.Client, cliente: dict[str, Any]) -> None:
    response = send(api, evento("emitida"), now=NOW, msg_id="msg_1")
    assert response.status_code == 200, response.text
    assert response.json() == {
        "estado": "procesado",
        "webhook_id": "msg_1",
        "factura_id": "fac_2025_0123",
        "cliente_id": "abc123",
    }


@pytest.mark.parametrize("secret", [WEBHOOK_SECRET, WEBHOOK_SECRET_OLD])
def test_every_configured_secret_is_accepted_during_rotation(
    api: httpx.Client, cliente: dict[str, Any], secret: str
) -> None:
    assert send(api, evento("emitida"), now=NOW, secret=secret).status_code == 200


def test_any_matching_signature_in_the_header_passes(
    api: httpx.Client, cliente: dict[str, Any]
) -> None:
    body = json.dumps(evento("emitida")).encode()
    ts = int(NOW.timestamp())
    good = sign(WEBHOOK_SECRET_OLD, "msg_multi", ts, body)
    unknown = sign("whsec_" + base64.b64encode(b"someone-else").decode(), "msg_multi", ts, body)
    header = f"{unknown} v2,notsupported {good}"
    response = send(api, body=body, now=NOW, msg_id="msg_multi", signature=header)
    assert response.status_code == 200


def test_unknown_secret_is_refused(api: httpx.Client, cliente: dict[str, Any]) -> None:
    forged = "whsec_" + base64.b64encode(b"not-our-secret").decode()
    response = send(api, evento("emitida"), now=NOW, secret=forged)
    assert response.status_code == 401
    assert "firma" in response.json()["detail"]
    assert timeline(api) == []


def test_tampered_body_is_refused_and_changes_nothing(
    api: httpx.Client, cliente: dict[str, Any]
) -> None:
    body = json.dumps(evento("emitida")).encode()
    ts = int(NOW.timestamp())
    signature = sign(WEBHOOK_SECRET, "msg_t", ts, body)
    tampered = body.replace(b"2500.0", b"9500.0")
    assert tampered != body
    response = send(api, body=tampered, now=NOW, msg_id="msg_t", signature=signature)
    assert response.status_code == 401
    assert api.get("/api/clientes/abc123").json()["ltv"] == 0


@pytest.mark.parametrize("offset", [-301, 301, -3600, 86400])
def test_stale_or_future_timestamps_are_refused(
    api: httpx.Client, cliente: dict[str, Any], offset: int
) -> None:
    response = send(api, evento("emitida"), now=NOW, timestamp=int(NOW.timestamp()) + offset)
    assert response.status_code == 401
    assert "5 minutos" in response.json()["detail"]


@pytest.mark.parametrize("offset", [-299, 299])
def test_timestamps_within_five_minutes_pass(
    api: httpx.Client, cliente: dict[str, Any], offset: int
) -> None:
    response = send(api, evento("emitida"), now=NOW, timestamp=int(NOW.timestamp()) + offset)
    assert response.status_code == 200


@pytest.mark.parametrize("missing", ["webhook-id", "webhook-timestamp", "webhook-signature"])
def test_missing_headers_are_refused(
    api: httpx.Client, cliente: dict[str, Any], missing: str
) -> None:
    body = json.dumps(evento("emitida")).encode()
    ts = int(NOW.timestamp())
    headers = {
        "content-type": "application/json",
        "webhook-id": "msg_h",
        "webhook-timestamp": str(ts),
        "webhook-signature": sign(WEBHOOK_SECRET, "msg_h", ts, body),
    }
    del headers[missing]
    assert api.post(WEBHOOK_PATH, content=body, headers=headers).status_code == 401


def test_webhook_does_not_use_the_api_key(anon: httpx.Client, cliente: dict[str, Any]) -> None:
    assert send(anon, evento("emitida"), now=NOW).status_code == 200


def test_body_over_64_kib_is_refused_before_parsing(
    api: httpx.Client, cliente: dict[str, Any]
) -> None:
    payload = evento("emitida")
    payload["relleno"] = "x" * (64 * 1024)
    response = send(api, payload, now=NOW)
    assert response.status_code == 413
    # Not even valid JSON: the size is checked first.
    assert send(api, body=b"{" * (70 * 1024), now=NOW).status_code == 413


def test_replayed_webhook_id_answers_200_and_changes_nothing(
    api: httpx.Client, cliente: dict[str, Any], db: Backend
) -> None:
    first = send(api, evento("emitida"), now=NOW, msg_id="msg_replay")
    assert first.json()["estado"] == "procesado"
    # Same id, even with another (validly signed) body: a repeat, nothing changes.
    again = send(api, evento("emitida", base=99999, total=99999), now=NOW, msg_id="msg_replay")
    assert again.status_code == 200
    assert again.json()["estado"] == "duplicado"
    assert api.get("/api/clientes/abc123").json()["ltv"] == 2066.12
    assert len(timeline(api)) == 1
    # The same id reused for another invoice: the answer names the one it was applied to.
    otra = send(api, evento("emitida", factura_id="fac_otra"), now=NOW, msg_id="msg_replay")
    assert otra.json() == {**first.json(), "estado": "duplicado"}
    assert first.json()["factura_id"] != "fac_otra"
    assert [fila[0] for fila in ledger(db)] == [first.json()["factura_id"]]
    # ... also when the reused id names a client the CRM does not know.
    ajeno = evento("emitida", factura_id="fac_ajena", cliente_id="nadie")
    assert send(api, ajeno, now=NOW, msg_id="msg_replay").json() == otra.json()


# --- validation ------------------------------------------------------------------


def test_non_euro_invoice_is_refused(api: httpx.Client, cliente: dict[str, Any]) -> None:
    response = send(api, evento("emitida", moneda="USD"), now=NOW)
    assert response.status_code == 422
    assert "EUR" in response.json()["detail"]
    # The field itself, for a client developer's form or log: not the whole invoice.
    assert [e["campo"] for e in response.json()["errors"]] == ["factura.moneda"]
    assert timeline(api) == []


@pytest.mark.parametrize(
    ("campos", "campo", "mensaje"),
    [
        (
            {"fecha_vencimiento": "2024-01-01"},
            "factura.fecha_vencimiento",
            "es anterior a fecha_emision",
        ),
        ({"total": "-1210.00"}, "factura.total", "mismo signo que base_imponible"),
        (
            {"rectifica": "fac_2025_0123", "base": -100, "total": -121},
            "factura.rectifica",
            "no puede rectificarse a sí misma",
        ),
    ],
)
def test_a_rule_about_two_fields_points_at_the_later_one(
    api: httpx.Client, cliente: dict[str, Any], campos: dict[str, Any], campo: str, mensaje: str
) -> None:
    response = send(api, evento("emitida", **campos), now=NOW)
    assert response.status_code == 422, response.text
    (error,) = response.json()["errors"]
    assert error["campo"] == campo and mensaje in error["mensaje"]
    assert timeline(api) == []


def test_pagada_without_fecha_pago_is_refused(api: httpx.Client, cliente: dict[str, Any]) -> None:
    response = send(api, evento("pagada"), now=NOW)
    assert response.status_code == 422
    assert "fecha_pago" in response.json()["detail"]
    (error,) = response.json()["errors"]
    assert error["campo"] == "factura.fecha_pago"  # a rule of the event type, named all the same


@pytest.mark.parametrize(
    ("tipo", "cobro", "campo"),
    [
        ("cobro", None, "cobro"),
        ("cobro_devuelto", None, "cobro"),
        ("cobro", {"id": "c1", "importe": "100.00"}, "cobro.fecha"),
        ("cobro", {"id": "c1", "fecha": "2026-01-15"}, "cobro.importe"),
    ],
)
def test_a_rule_of_the_event_type_names_the_field_it_needs(
    api: httpx.Client,
    cliente: dict[str, Any],
    tipo: str,
    cobro: dict[str, Any] | None,
    campo: str,
) -> None:
    cuerpo = evento(tipo) | ({"cobro": cobro} if cobro is not None else {})
    response = send(api, cuerpo, now=NOW)
    assert response.status_code == 422, response.text
    (error,) = response.json()["errors"]
    assert error["campo"] == campo, error
    assert f"{campo}: " in response.json()["detail"]
    assert timeline(api) == []


def test_an_invoice_without_client_names_cliente_id(
    api: httpx.Client, cliente: dict[str, Any]
) -> None:
    response = send(api, evento("emitida", cliente_id=None), now=NOW)
    assert response.status_code == 422, response.text
    (error,) = response.json()["errors"]
    assert error["campo"] == "factura.cliente_id"
    assert "hace falta cliente_id o cif_nif" in error["mensaje"]


def test_malformed_json_is_422_not_500(api: httpx.Client, cliente: dict[str, Any]) -> None:
    assert send(api, body=b'{"tipo": ', now=NOW).status_code == 422


def test_unknown_client_is_422_with_nothing_recorded_and_the_retry_succeeds(
    api: httpx.Client, db: Backend
) -> None:
    db.clock.set(NOW)
    payload = evento("emitida", cliente_id="nuevo_1", cif_nif="B-8765432-1")
    first = send(api, payload, now=NOW, msg_id="msg_retry")
    assert first.status_code == 422
    assert "Cliente desconocido" in first.json()["detail"]
    assert ledger(db) == []
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM webhook_eventos")).scalar() == 0
    created = api.post(
        "/api/clientes/",
        json={"id": "nuevo_1", "nombre_empresa": "Nuevo S.L.", "email": "n@nuevo.es"},
    )
    assert created.status_code == 201
    retry = send(api, payload, now=NOW, msg_id="msg_retry")
    assert retry.status_code == 200
    assert retry.json()["estado"] == "procesado"


def test_client_found_by_normalised_cif_when_the_id_is_unknown(
    api: httpx.Client, cliente: dict[str, Any]
) -> None:
    payload = evento("emitida", cliente_id="id_de_smartbilling_desconocido", cif_nif="b-1234567-4")
    response = send(api, payload, now=NOW)
    assert response.status_code == 200
    assert response.json()["cliente_id"] == "abc123"


# --- ledger rules and effects --------------------------------------------------------


def test_issued_invoice_feeds_ltv_dates_lifecycle_and_timeline(
    api: httpx.Client, cliente: dict[str, Any]
) -> None:
    assert cliente["estado"] == "prospecto"
    response = send(
        api, evento("emitida", fecha_emision="2026-01-12", fecha_vencimiento="2026-02-11"), now=NOW
    )
    assert response.status_code == 200, response.text
    body = api.get("/api/clientes/abc123").json()
    assert body["ltv"] == 2066.12
    assert body["fecha_primera_compra"] == "2026-01-12"
    assert body["fecha_última_compra"] == "2026-01-12"
    assert body["estado"] in ("cliente_activo", "vip")
    [entrada] = timeline(api)
    assert entrada["tipo"] == "factura"
    assert entrada["titulo"] == "Factura 2025/0123 emitida"
    assert "2.500,00 €" in entrada["descripcion"]
    assert "2.066,12 €" in entrada["descripcion"]
    assert entrada["fecha"] == "2026-01-12T00:00:00+01:00"  # 12/01 00:00 in Madrid


def test_later_event_updates_the_same_timeline_entry(
    api: httpx.Client, cliente: dict[str, Any], db: Backend
) -> None:
    send(api, evento("emitida"), now=NOW)
    send(api, evento("emitida"), now=NOW)  # resent with a new webhook-id
    send(api, evento("pagada", fecha_pago="2026-01-10"), now=NOW)
    entries = timeline(api)
    assert sorted(e["tipo"] for e in entries) == ["factura", "pago"]
    pago = next(e for e in entries if e["tipo"] == "pago")
    assert pago["titulo"] == "Pago de la factura 2025/0123"
    assert "2.500,00 €" in pago["descripcion"] and "10/01/2026" in pago["descripcion"]
    assert ledger(db) == [("fac_2025_0123", "abc123", "2026-01-10", False, Decimal("2066.12"))]
    assert api.get("/api/clientes/abc123").json()["ltv"] == 2066.12


def test_pagada_before_emitida_and_emitida_never_unpays(
    api: httpx.Client, cliente: dict[str, Any], db: Backend
) -> None:
    send(api, evento("pagada", fecha_pago="2026-01-05"), now=NOW)
    assert ledger(db)[0][2] == "2026-01-05"
    send(api, evento("emitida"), now=NOW)
    assert ledger(db)[0][2] == "2026-01-05"
    assert sorted(e["tipo"] for e in timeline(api)) == ["factura", "pago"]


def test_cancelled_invoice_leaves_ltv_and_payment_statistics(
    api: httpx.Client, cliente: dict[str, Any]
) -> None:
    send(api, evento("emitida", factura_id="fac_a", base=1000, total=1210), now=NOW)
    send(api, evento("emitida", factura_id="fac_b", base=500, total=605), now=NOW)
    assert api.get("/api/clientes/abc123").json()["ltv"] == 1500.0
    send(api, evento("anulada", factura_id="fac_b", base=500, total=605), now=NOW)
    body = api.get("/api/clientes/abc123").json()
    assert body["ltv"] == 1000.0
    assert body["salud"]["ltv_lifetime_value"] == 1000.0
    titulos = {e["titulo"] for e in timeline(api)}
    assert "Factura b anulada" in titulos or any("anulada" in t for t in titulos)
    # A later `emitida` for it does not bring it back.
    send(api, evento("emitida", factura_id="fac_b", base=500, total=605), now=NOW)
    assert api.get("/api/clientes/abc123").json()["ltv"] == 1000.0


def test_credit_note_reduces_ltv(api: httpx.Client, cliente: dict[str, Any]) -> None:
    send(api, evento("emitida", factura_id="fac_1", base=1000, total=1210), now=NOW)
    send(
        api,
        evento("emitida", factura_id="fac_r1", numero="R-2026/0001", base=-200, total=-242),
        now=NOW,
    )
    assert api.get("/api/clientes/abc123").json()["ltv"] == 800.0
    titulos = [e["titulo"] for e in timeline(api)]
    assert "Factura rectificativa R-2026/0001 emitida" in titulos
    rect = next(e for e in timeline(api) if e["titulo"].startswith("Factura rectificativa"))
    assert "-242,00 €" in rect["descripcion"]
    # Contract §7: a credit note is never owed, so its entry gives no due date.
    assert "Vence" not in rect["descripcion"]
    factura = next(e for e in timeline(api) if e["titulo"] == "Factura 1 emitida")
    assert "Vence el " in factura["descripcion"]


def test_a_purchase_reactivates_a_lost_client(api: httpx.Client, cliente: dict[str, Any]) -> None:
    send(api, evento("emitida", factura_id="fac_old", fecha_emision="2025-06-01"), now=NOW)
    assert api.patch("/api/clientes/abc123", json={"estado": "cliente_perdido"}).status_code == 200
    # Another event about an old invoice does not reactivate it...
    send(
        api,
        evento("pagada", factura_id="fac_old", fecha_emision="2025-06-01", fecha_pago="2025-06-20"),
        now=NOW,
    )
    assert api.get("/api/clientes/abc123").json()["estado"] == "cliente_perdido"
    # ...nor does an old invoice the CRM had not seen (the backfill): it would come back
    # as dormant, which is not coming back...
    importada = factura("fac_hist", fecha_emision="2025-01-01", fecha_vencimiento="2025-01-31")
    assert api.post("/api/facturas/importar", json=[importada]).status_code == 200
    assert api.get("/api/clientes/abc123").json()["estado"] == "cliente_perdido"
    # ...a new purchase does.
    send(api, evento("emitida", factura_id="fac_new", fecha_emision="2026-01-15"), now=NOW)
    assert api.get("/api/clientes/abc123").json()["estado"] in ("cliente_activo", "vip")


def test_an_old_invoice_does_not_bring_back_a_lost_client_that_bought_lately(
    api: httpx.Client, cliente: dict[str, Any]
) -> None:
    """Marked lost soon after a purchase (its last purchase is recent), then the backfill
    loads an invoice of 2019: that invoice is no purchase now, whatever the latest is."""
    send(api, evento("emitida", factura_id="fac_reciente", fecha_emision="2026-01-05"), now=NOW)
    assert api.patch("/api/clientes/abc123", json={"estado": "cliente_perdido"}).status_code == 200
    antigua = factura("fac_2019", fecha_emision="2019-03-01", fecha_vencimiento="2019-03-31")
    assert api.post("/api/facturas/importar", json=[antigua]).status_code == 200
    assert api.get("/api/clientes/abc123").json()["estado"] == "cliente_perdido"


def test_invoice_of_another_client_is_a_conflict(
    api: httpx.Client, cliente: dict[str, Any], db: Backend
) -> None:
    api.post("/api/clientes/", json={"id": "otro", "nombre_empresa": "Otro", "email": "o@o.es"})
    send(api, evento("emitida"), now=NOW)
    response = send(api, evento("emitida", cliente_id="otro"), now=NOW)
    assert response.status_code == 409
    assert ledger(db)[0][1] == "abc123"


def test_erasing_a_client_erases_its_ledger(
    api: httpx.Client, cliente: dict[str, Any], db: Backend
) -> None:
    send(api, evento("emitida"), now=NOW)
    assert api.delete("/api/clientes/abc123").status_code == 204
    assert ledger(db) == []


def test_a_delivery_retried_after_its_client_was_erased_is_a_repeat(
    api: httpx.Client, cliente: dict[str, Any], db: Backend
) -> None:
    """README, GDPR: an old delivery retried later is answered `duplicado` and recreates
    nothing, while the client is gone and once SmartBilling creates it again."""
    aplicado = send(api, evento("emitida"), now=NOW, msg_id="msg_antes_del_borrado")
    assert aplicado.json()["estado"] == "procesado"
    assert api.delete("/api/clientes/abc123").status_code == 204

    ausente = send(api, evento("emitida"), now=NOW, msg_id="msg_antes_del_borrado")
    assert ausente.status_code == 200, ausente.text
    assert ausente.json() == {
        "estado": "duplicado",
        "webhook_id": "msg_antes_del_borrado",
        "factura_id": "fac_2025_0123",
        "cliente_id": None,
    }
    # A delivery never applied, for the absent client, is still refused (and recorded nowhere).
    nuevo = send(api, evento("emitida", factura_id="fac_2"), now=NOW, msg_id="msg_nuevo")
    assert nuevo.status_code == 422
    assert "Cliente desconocido" in nuevo.json()["detail"]

    creado = {"id": "abc123", "nombre_empresa": "Otra vez S.L.", "email": "otra@vez.es"}
    assert api.post("/api/clientes/", json=creado).status_code == 201
    otra_vez = send(api, evento("emitida"), now=NOW, msg_id="msg_antes_del_borrado")
    assert otra_vez.json()["estado"] == "duplicado"
    assert ledger(db) == []
    assert (
        send(api, evento("emitida", factura_id="fac_2"), now=NOW, msg_id="msg_nuevo").json()[
            "estado"
        ]
        == "procesado"
    )


# --- backfill --------------------------------------------------------------------


def test_import_backfills_history_idempotently(
    api: httpx.Client, cliente: dict[str, Any], db: Backend
) -> None:
    historico = [
        factura(
            "fac_h1",
            fecha_emision="2025-09-01",
            fecha_vencimiento="2025-10-01",
            base=100,
            total=121,
            fecha_pago="2025-09-20",
        ),
        factura(
            "fac_h2",
            fecha_emision="2025-10-01",
            fecha_vencimiento="2025-10-31",
            base=200,
            total=242,
            fecha_pago="2025-10-30",
        ),
        factura("fac_h3", fecha_emision="2025-11-01", base=300, total=363, anulada=True),
    ]
    first = api.post("/api/facturas/importar", json=historico)
    assert first.status_code == 200, first.text
    assert first.json() == {
        "recibidas": 3,
        "nuevas": 3,
        "actualizadas": 0,
        "sin_cambios": 0,
        "clientes_afectados": 1,
    }
    again = api.post("/api/facturas/importar", json=historico)
    assert again.json()["sin_cambios"] == 3 and again.json()["nuevas"] == 0
    assert again.json()["clientes_afectados"] == 0  # nothing of any client changed
    body = api.get("/api/clientes/abc123").json()
    assert body["ltv"] == 300.0
    assert body["fecha_primera_compra"] == "2025-09-01"
    assert sorted(e["tipo"] for e in timeline(api)) == ["factura"] * 3 + ["pago"] * 2


def test_import_refuses_a_field_it_does_not_know_and_records_nothing(
    api: httpx.Client, cliente: dict[str, Any], db: Backend
) -> None:
    """A typo in the backfill (`fechapago`) would store a paid invoice as unpaid: refused,
    naming the field; the webhook keeps ignoring fields it does not know."""
    lote = [
        factura("fac_ok"),
        {**factura("fac_typo"), "fechapago": "2025-12-20"},
        {**factura("fac_cobro"), "cobros": [{"id": "c1", "fecha": "2025-12-20",
                                             "importe": 10, "imprte": 10}]},
    ]  # fmt: skip
    response = api.post("/api/facturas/importar", json=lote)
    assert response.status_code == 422, response.text
    errores = {e["campo"]: e["mensaje"] for e in response.json()["errors"]}
    assert errores == {
        "1.fechapago": "campo desconocido: 'fechapago'",
        "2.cobros.0.imprte": "campo desconocido: 'imprte'",
    }
    assert "1.fechapago: campo desconocido" in response.json()["detail"]
    assert ledger(db) == []
    # The webhook ignores it: the invoicing module may add fields.
    evento_con_extra = {"tipo": "factura.emitida", "factura": {**factura("fac_w"), "nuevo": 1}}
    assert send(api, evento_con_extra, now=NOW).status_code == 200


def test_import_with_an_unknown_client_records_nothing(
    api: httpx.Client, cliente: dict[str, Any], db: Backend
) -> None:
    lote = [factura("fac_ok"), factura("fac_ko", cliente_id="nadie")]
    response = api.post("/api/facturas/importar", json=lote)
    assert response.status_code == 422
    assert "facturas[1]" in response.json()["detail"]
    assert ledger(db) == []


def test_import_is_bounded_and_needs_the_api_key(
    api: httpx.Client, anon: httpx.Client, cliente: dict[str, Any]
) -> None:
    assert anon.post("/api/facturas/importar", json=[factura()]).status_code == 401
    too_many = [factura(f"fac_{i}") for i in range(1001)]
    response = api.post("/api/facturas/importar", json=too_many)
    assert response.status_code == 422
    assert api.post("/api/facturas/importar", json=[]).status_code == 422


def test_signature_helper_is_standard_webhooks() -> None:
    """Our test signer agrees with a plain reading of the Standard Webhooks spec."""
    key = b"test-webhook-secret-0123456789"
    expected = base64.b64encode(hmac.new(key, b"id.1.{}", hashlib.sha256).digest()).decode()
    assert sign(WEBHOOK_SECRET, "id", 1, b"{}") == f"v1,{expected}"


def test_an_event_stamps_the_client_updated_at_its_instant_in_one_write(
    db: Backend, api: httpx.Client, cliente: dict[str, Any]
) -> None:
    """The client's `fecha_actualizacion` is the event's instant (the injected clock, not
    the machine's), written in the same UPDATE as its new LTV and state (issue 14, R3)."""
    emitida = evento("emitida", fecha_emision="2026-01-10")
    assert send(api, emitida, now=NOW).status_code == 200
    # The steady state: the daily recompute has stored the VIP threshold (before it, the
    # first purchase ranks the portfolio live and writes the LTV first).
    assert api.post("/api/salud/recalcular").status_code == 200
    later = datetime(2026, 1, 21, 16, 30, tzinfo=UTC)
    db.clock.set(later)
    db.statements.clear()
    otra = evento("emitida", factura_id="fac_2026_0002", fecha_emision="2026-01-21")
    assert send(api, otra, now=later).status_code == 200
    updates = [s for s in db.statements if s.startswith("UPDATE clientes_extended")]
    assert len(updates) == 1, updates
    assert "fecha_actualizacion" in updates[0] and "ltv" in updates[0]
    body = api.get("/api/clientes/abc123").json()
    assert datetime.fromisoformat(body["fecha_actualizacion"]) == later
    assert Decimal(str(body["ltv"])) == Decimal("4132.24")  # both invoices, 2,066.12 of base each


def test_an_event_is_applied_and_committed_in_one_worker_thread(
    db: Backend, api: httpx.Client, cliente: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The event's unit of work (begin, apply, effects, commit) is one hop to a worker
    thread, not four (the unit's opening, the endpoint, the response's validation, the
    commit): they cost a fifth of the sequential rate (issue 14, R3), and on SQLite the
    write turn was held across all of them while the event loop served other requests."""
    hops: list[str] = []
    run_sync = anyio.to_thread.run_sync

    async def contar(func: Any, *args: Any, **kwargs: Any) -> Any:
        hops.append(getattr(func, "__qualname__", repr(func)))
        return await run_sync(func, *args, **kwargs)

    monkeypatch.setattr(anyio.to_thread, "run_sync", contar)
    respuesta = send(api, evento("emitida", fecha_emision="2026-01-10"), now=NOW)
    monkeypatch.undo()
    assert respuesta.status_code == 200, respuesta.text
    assert respuesta.json()["estado"] == "procesado"
    # The tests' clock is a plain function (the service's is `async`): its hop is theirs.
    assert len([h for h in hops if "Clock.now" not in h]) == 1, hops
    assert [fila[0] for fila in ledger(db)] == ["fac_2025_0123"]  # committed in that hop


def test_a_backfill_that_lists_an_unpaid_invoice_twice_stores_it_once(
    api: httpx.Client, cliente: dict[str, Any]
) -> None:
    """The second copy finds the first (not yet committed) and changes nothing."""
    nueva = factura("fac_doble", fecha_emision="2026-01-10")
    respuesta = api.post("/api/facturas/importar", json=[nueva, nueva])
    assert respuesta.status_code == 200, respuesta.text
    assert respuesta.json()["nuevas"] == 1 and respuesta.json()["sin_cambios"] == 1
    entradas = [a for a in timeline(api) if "doble" in a["titulo"]]
    assert [a["tipo"] for a in entradas] == ["factura"], entradas
