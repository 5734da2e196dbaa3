"""Exactly once, whatever the network does: concurrent deliveries, any order with
duplicates, and a server killed mid-stream then fed every event again."""

from __future__ import annotations

import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from ..conftest import API_KEY, WEBHOOK_SECRET, Backend
from ..webhook_helpers import evento, send

NOW = datetime(2026, 1, 20, 10, 0, tzinfo=UTC)


def crear_cliente(api: httpx.Client, cliente_id: str) -> None:
    response = api.post(
        "/api/clientes/",
        json={
            "id": cliente_id,
            "nombre_empresa": f"Cliente {cliente_id}",
            "email": f"{cliente_id}@x.es",
        },
    )
    assert response.status_code == 201, response.text


def estado_final(db: Backend, cliente_id: str) -> dict[str, Any]:
    """What a user can see of the client's invoices: ledger, LTV and timeline,
    with the client's own prefix taken out of the invoice ids."""
    with db.engine.connect() as conn:
        filas = conn.execute(
            text(
                "SELECT factura_id, numero, fecha_pago, anulada, base_imponible, total "
                "FROM facturas_ledger WHERE cliente_id = :c ORDER BY factura_id"
            ),
            {"c": cliente_id},
        ).all()
        actividades = conn.execute(
            text(
                "SELECT tipo, titulo, descripcion, fecha FROM actividades_extended "
                "WHERE cliente_id = :c"
            ),
            {"c": cliente_id},
        ).all()
        ltv = conn.execute(
            text("SELECT ltv FROM clientes_extended WHERE id = :c"), {"c": cliente_id}
        ).scalar()
    return {
        "ledger": [
            (
                r[0].removeprefix(cliente_id),
                r[1].removeprefix(cliente_id),
                str(r[2]),
                bool(r[3]),
                Decimal(str(r[4])),
                Decimal(str(r[5])),
            )
            for r in filas
        ],
        "timeline": sorted(
            (a[0], a[1].replace(cliente_id, ""), a[2], str(a[3])) for a in actividades
        ),
        "ltv": Decimal(str(ltv)),
    }


def test_same_events_delivered_concurrently_are_applied_once(
    db: Backend, api: httpx.Client
) -> None:
    db.clock.set(NOW)
    crear_cliente(api, "conc")
    eventos: list[tuple[str, dict[str, Any]]] = []
    for n in range(6):
        fid = f"fac_conc_{n}"
        base = 100 * (n + 1)
        eventos.append(
            (
                f"msg_e{n}",
                evento(
                    "emitida",
                    factura_id=fid,
                    cliente_id="conc",
                    base=base,
                    total=round(base * 1.21, 2),
                ),
            )
        )
        eventos.append(
            (
                f"msg_p{n}",
                evento(
                    "pagada",
                    factura_id=fid,
                    cliente_id="conc",
                    base=base,
                    total=round(base * 1.21, 2),
                    fecha_pago="2026-01-02",
                ),
            )
        )
        # The sender resends the issue event under a new id, too.
        eventos.append(
            (
                f"msg_e{n}_bis",
                evento(
                    "emitida",
                    factura_id=fid,
                    cliente_id="conc",
                    base=base,
                    total=round(base * 1.21, 2),
                ),
            )
        )
    hilos = 12
    barrera = threading.Barrier(hilos)
    resultados: list[tuple[str, int, str]] = []
    lock = threading.Lock()

    def entregar(semilla: int) -> None:
        orden = eventos[:]
        random.Random(semilla).shuffle(orden)
        with httpx.Client(base_url=db.server.base_url, timeout=60) as propio:
            barrera.wait()
            for msg_id, payload in orden:
                response = send(propio, payload, now=NOW, msg_id=msg_id)
                with lock:
                    resultados.append(
                        (msg_id, response.status_code, response.json().get("estado", ""))
                    )

    threads = [threading.Thread(target=entregar, args=(i,)) for i in range(hilos)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert len(resultados) == hilos * len(eventos)
    assert {status for _, status, _ in resultados} == {200}
    procesados = Counter(msg_id for msg_id, _, estado in resultados if estado == "procesado")
    assert procesados == Counter({msg_id: 1 for msg_id, _ in eventos})
    final = estado_final(db, "conc")
    assert len(final["ledger"]) == 6
    assert all(fila[2] == "2026-01-02" for fila in final["ledger"])
    assert final["ltv"] == Decimal("2100.00")  # 100 + 200 + ... + 600
    assert Counter(t[0] for t in final["timeline"]) == {"factura": 6, "pago": 6}


# --- any order, with duplicates ------------------------------------------------------

FACTURAS = [
    # (suffix, base, total, paid on, cancelled)
    ("a", 1000, 1210, "2025-12-20", False),
    ("b", 500, 605, None, True),
    ("c", -200, -242, None, False),  # a credit note
]


def eventos_de(cliente_id: str) -> list[tuple[str, dict[str, Any]]]:
    """Every event of the fixture invoices, in the order the sender would emit them."""
    out: list[tuple[str, dict[str, Any]]] = []
    for suffix, base, total, pagada, anulada in FACTURAS:
        kwargs = dict(
            factura_id=f"{cliente_id}_f{suffix}",
            numero=f"{cliente_id}2025/{suffix}",
            cliente_id=cliente_id,
            base=base,
            total=total,
            fecha_emision="2025-12-01",
        )
        out.append((f"{cliente_id}_e{suffix}", evento("emitida", **kwargs)))
        if pagada:
            out.append((f"{cliente_id}_p{suffix}", evento("pagada", fecha_pago=pagada, **kwargs)))
        if anulada:
            out.append((f"{cliente_id}_a{suffix}", evento("anulada", **kwargs)))
    return out


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_any_permutation_with_duplicates_ends_like_the_ordered_sequence(
    db: Backend, api: httpx.Client, data: st.DataObject
) -> None:
    db.clock.set(NOW)
    referencia = f"r{uuid.uuid4().hex[:8]}"
    prueba = f"p{uuid.uuid4().hex[:8]}"
    crear_cliente(api, referencia)
    crear_cliente(api, prueba)
    for msg_id, payload in eventos_de(referencia):
        assert send(api, payload, now=NOW, msg_id=msg_id).status_code == 200

    base = eventos_de(prueba)
    repetidos = data.draw(st.lists(st.sampled_from(base), max_size=6), label="repeats")
    # A resend under a new webhook-id is a different delivery of the same fact.
    reenvios = [
        (f"{msg_id}_nuevo", payload)
        for msg_id, payload in data.draw(
            st.lists(st.sampled_from(base), max_size=3), label="resends"
        )
    ]
    entregas = data.draw(st.permutations(base + repetidos + reenvios), label="order")
    for msg_id, payload in entregas:
        assert send(api, payload, now=NOW, msg_id=msg_id).status_code == 200

    esperado = estado_final(db, referencia)
    obtenido = estado_final(db, prueba)
    assert obtenido == esperado
    assert esperado["ltv"] == Decimal("800.00")  # 1000 - 200; b is cancelled


# --- a server killed mid-stream ---------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start_server(db: Backend, port: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "DATABASE_URL": db.url,
        "CRM_ENV": "development",
        "CRM_API_KEYS": API_KEY,
        "CRM_WEBHOOK_SECRETS": WEBHOOK_SECRET,
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "smartbilling_crm.main:app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return process
        except httpx.HTTPError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("server did not start")


def test_server_killed_mid_stream_then_fed_everything_again(db: Backend, api: httpx.Client) -> None:
    crear_cliente(api, "crash")
    eventos = []
    for n in range(15):
        kwargs = dict(
            factura_id=f"fac_crash_{n}",
            cliente_id="crash",
            base=10 * (n + 1),
            total=round(12.1 * (n + 1), 2),
            fecha_emision="2025-11-01",
        )
        eventos.append((f"crash_e{n}", evento("emitida", **kwargs)))
        eventos.append((f"crash_p{n}", evento("pagada", fecha_pago="2025-11-15", **kwargs)))

    port = _free_port()
    server = _start_server(db, port)
    entregados = 0
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
            for msg_id, payload in eventos:
                if entregados == len(eventos) // 2:
                    server.send_signal(signal.SIGKILL)  # no shutdown, no flush, mid-stream
                    server.wait(timeout=30)
                    break
                send(client, payload, now=datetime.now(UTC), msg_id=msg_id)
                entregados += 1
        assert 0 < entregados < len(eventos)
        server = _start_server(db, port)
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            for msg_id, payload in eventos:  # the sender retries everything
                response = send(client, payload, now=datetime.now(UTC), msg_id=msg_id)
                assert response.status_code == 200, response.text
    finally:
        server.kill()
        server.wait(timeout=30)

    final = estado_final(db, "crash")
    assert len(final["ledger"]) == 15
    assert all(fila[2] == "2025-11-15" for fila in final["ledger"])
    assert final["ltv"] == Decimal(sum(10 * (n + 1) for n in range(15)))
    assert Counter(t[0] for t in final["timeline"]) == {"factura": 15, "pago": 15}


# --- partial payments and a returned one, delivered concurrently ----------------------


def test_cobros_parciales_y_devolucion_concurrentes_cuentan_una_vez(
    db: Backend, api: httpx.Client
) -> None:
    """Twelve senders deliver the same payments of one invoice at once, each in its own
    order and each resending them under new webhook ids: every payment counts once, the
    returned one never, whatever arrived first (the return may come before its payment)."""
    db.clock.set(NOW)
    crear_cliente(api, "cob")
    factura_ = dict(
        factura_id="fac_cob",
        cliente_id="cob",
        numero="2025/0605",
        fecha_emision="2025-11-01",
        fecha_vencimiento="2025-12-01",
        base="500.00",
        total="605.00",
    )

    def con_cobro(tipo: str, cobro: dict[str, Any]) -> dict[str, Any]:
        return {**evento(tipo, **factura_), "cobro": cobro}

    eventos = [
        ("msg_emitida", evento("emitida", **factura_)),
        ("msg_c1", con_cobro("cobro", {"id": "c1", "fecha": "2026-01-10", "importe": "100.00"})),
        ("msg_c2", con_cobro("cobro", {"id": "c2", "fecha": "2026-01-12", "importe": "200.00"})),
        ("msg_c3", con_cobro("cobro", {"id": "c3", "fecha": "2026-01-15", "importe": "305.00"})),
        ("msg_d2", con_cobro("cobro_devuelto", {"id": "c2"})),
    ]
    hilos = 12
    barrera = threading.Barrier(hilos)
    estados: list[int] = []
    lock = threading.Lock()

    def entregar(semilla: int) -> None:
        orden = eventos[:]
        random.Random(semilla).shuffle(orden)
        with httpx.Client(base_url=db.server.base_url, timeout=60) as propio:
            barrera.wait()
            for msg_id, payload in orden:
                codigos = [
                    send(propio, payload, now=NOW, msg_id=msg_id).status_code,
                    send(propio, payload, now=NOW).status_code,  # resent under a new id
                ]
                with lock:
                    estados.extend(codigos)

    threads = [threading.Thread(target=entregar, args=(i,)) for i in range(hilos)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert len(estados) == hilos * len(eventos) * 2
    assert set(estados) == {200}
    exportacion = api.get("/api/clientes/cob/exportar").json()
    [libro] = exportacion["facturas"]
    assert libro["pendiente"] == 200.0  # 605 − 100 − 305; the 200 came back
    assert sorted((c["id"], c["importe"], c["devuelto"]) for c in libro["cobros"]) == [
        ("c1", 100.0, False),
        ("c2", 200.0, True),
        ("c3", 305.0, False),
    ]
    assert api.get("/api/clientes/cob/salud").json()["importe_vencido"] == 200.0
    final = estado_final(db, "cob")
    assert Counter(t[0] for t in final["timeline"]) == {"factura": 1, "pago": 1}
