"""When a client becomes VIP, as the README says: at once when its own invoice lifts it
over the threshold stored by the last recompute; the threshold itself (and so who drops
out) moves at the next recompute."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx

from ..conftest import Backend
from ..webhook_helpers import evento, factura, send

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _estados(api: httpx.Client) -> dict[str, str]:
    filas = api.get("/api/clientes/", params={"limit": 100}).json()["clientes"]
    return {c["id"]: c["estado"] for c in filas}


def test_an_invoice_over_the_stored_threshold_makes_the_client_vip_at_once(
    db: Backend, api: httpx.Client, make_cliente: Any
) -> None:
    db.clock.set(NOW)
    ids = [make_cliente(id=f"c{i}")["id"] for i in range(10)]
    historia = [
        factura(f"h{i}", cliente_id=c, fecha_emision="2026-02-20", base=100 * (i + 1), total=1)
        for i, c in enumerate(ids)
    ]
    assert api.post("/api/facturas/importar", json=historia).status_code == 200
    assert api.post("/api/salud/recalcular").status_code == 200
    # 10 buyers: the top one (LTV 1.000) is the threshold.
    assert _estados(api)["c9"] == "vip" and _estados(api)["c0"] == "cliente_activo"

    grande = evento("emitida", factura_id="grande", cliente_id="c0", base=2000, total=2420,
                    fecha_emision="2026-03-01")  # fmt: skip
    assert send(api, grande, now=NOW).status_code == 200
    assert api.get("/api/clientes/c0").json()["estado"] == "vip"
    estados = _estados(api)
    assert estados["c0"] == "vip"
    assert estados["c9"] == "vip"  # still over the stored threshold until the recompute

    assert api.post("/api/salud/recalcular").status_code == 200
    estados = _estados(api)
    assert estados["c0"] == "vip" and estados["c9"] == "cliente_activo"
