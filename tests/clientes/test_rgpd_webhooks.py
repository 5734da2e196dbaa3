"""GDPR erasure and the webhook's exactly-once records (issue 15.7): after erasure no
record names the client's invoices or their delivery times, and a retried old delivery is
still a repeat: it recreates nothing, even once the client exists again."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from smartbilling_crm.clientes import repository as clientes_repo
from smartbilling_crm.clientes import service as clientes_service
from smartbilling_crm.kit.contexto import Contexto

from ..conftest import Backend, make_settings
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


def test_erasure_and_a_retried_delivery_at_the_same_time_do_not_deadlock(
    db: Backend, api: httpx.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PostgreSQL: the erasure rewrites the client's webhook records and then deletes the
    client; a delivery of one of those ids arriving in between locks the client, then
    records its id. Each waiting on the other's lock was a deadlock (one of them failed);
    the erasure takes the client first, so the delivery waits, finds no client and its id
    among the erased client's pseudonymised records: a repeat, answered `duplicado` (README,
    GDPR), that recreates nothing."""
    if db.name != "postgresql":
        pytest.skip("SQLite's writers take turns: no row locks to deadlock on")
    db.clock.set(NOW)
    _crear(api)
    emitida = evento("emitida", factura_id="fac_olvido_1", cliente_id="olvido")
    assert send(api, emitida, now=NOW, msg_id="msg_olvido_1").status_code == 200

    # The erasure pauses after rewriting the webhook records, before deleting the client.
    en_pausa, seguir = threading.Event(), threading.Event()
    borrar_fila = clientes_repo.delete_cliente

    def borrar_tras_pausa(session: Session, cliente_id: str) -> None:
        en_pausa.set()
        seguir.wait(10)
        borrar_fila(session, cliente_id)

    monkeypatch.setattr(clientes_repo, "delete_cliente", borrar_tras_pausa)
    errores: list[BaseException] = []

    def borrar() -> None:
        try:
            with Session(db.engine) as session, session.begin():
                ctx = Contexto(session=session, settings=make_settings(db.url), now=NOW)
                clientes_service.borrar(ctx, "olvido")
        except BaseException as error:
            errores.append(error)

    borrado = threading.Thread(target=borrar)
    borrado.start()
    assert en_pausa.wait(10)
    respuestas: list[httpx.Response] = []
    entrega = threading.Thread(
        target=lambda: respuestas.append(send(api, emitida, now=NOW, msg_id="msg_olvido_1"))
    )
    entrega.start()
    entrega.join(1.5)  # past PostgreSQL's deadlock_timeout (1 s) had they crossed
    seguir.set()
    borrado.join(10)
    entrega.join(10)
    assert errores == []
    assert [(r.status_code, r.json()["estado"]) for r in respuestas] == [(200, "duplicado")], [
        r.text for r in respuestas
    ]
    assert api.get("/api/clientes/olvido").status_code == 404
