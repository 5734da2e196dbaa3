"""GDPR erasure and the webhook's exactly-once records (issue 15.7): after erasure no
record names the client's invoices or their delivery times, and a retried old delivery is
still a repeat: it recreates nothing, even once the client exists again."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
from sqlalchemy import text

from ..conftest import Backend
from ..webhook_helpers import evento, send

NOW = datetime(2026, 1, 20, 10, 0, tzinfo=UTC)


def _crear(api: httpx.Client) -> None:
    body = {"id": "olvido", "nombre_empresa": "Olvido S.L.", "email": "o@olvido.es"}
    assert api.post("/api/clientes/", json=body).status_code == 201


def test_erasure_pseudonymises_the_webhook_records_and_keeps_exactly_once(
    db: Backend, api: httpx.Client
) -> None:
    db.clock.set(NOW)
    _crear(api)
    otro = {"id": "sigue", "nombre_empresa": "Sigue S.L.", "email": "s@sigue.es"}
    assert api.post("/api/clientes/", json=otro).status_code == 201
    emitida = evento("emitida", factura_id="fac_olvido_1", cliente_id="olvido")
    assert send(api, emitida, now=NOW, msg_id="msg_olvido_1").status_code == 200
    ajena = evento("emitida", factura_id="fac_sigue_1", cliente_id="sigue")
    assert send(api, ajena, now=NOW, msg_id="msg_sigue_1").status_code == 200

    assert api.delete("/api/clientes/olvido").status_code == 204
    with db.engine.connect() as conn:
        filas = conn.execute(
            text("SELECT webhook_id, tipo, factura_id FROM webhook_eventos ORDER BY factura_id")
        ).all()
    texto = repr(filas)
    assert "fac_olvido_1" not in texto and "msg_olvido_1" not in texto
    assert ("msg_sigue_1", "factura.emitida", "fac_sigue_1") in [tuple(f) for f in filas]
    assert len(filas) == 2  # one record each: the erased one is a hash, nothing more

    # SmartBilling creates the client again; the old delivery is retried: still a repeat.
    _crear(api)
    repetida = send(api, emitida, now=NOW, msg_id="msg_olvido_1")
    assert repetida.status_code == 200
    assert repetida.json()["estado"] == "duplicado"
    assert api.get("/api/clientes/olvido").json()["ltv"] == 0
    with db.engine.connect() as conn:
        ledger = conn.execute(text("SELECT count(*) FROM facturas_ledger")).scalar_one()
    assert ledger == 1  # only the other client's invoice
