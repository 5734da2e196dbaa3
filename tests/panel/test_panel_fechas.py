"""The panel shows every date as the business time zone sees it (CRM_TIMEZONE), as the API
does: an instant just after midnight in Madrid is still that day, not the UTC day before."""

from __future__ import annotations

import re
from typing import Any

import httpx


def test_the_timeline_shows_the_local_day_and_a_local_machine_readable_time(
    panel: httpx.Client, api: httpx.Client, make_cliente: Any
) -> None:
    c = make_cliente()["id"]
    # 21 November, 00:30 in Madrid is 20 November, 23:30 UTC.
    api.post(
        f"/api/clientes/{c}/actividades",
        json={"tipo": "llamada", "titulo": "Primera hora", "fecha": "2025-11-21T00:30:00+01:00"},
    )
    desde_api = api.get(f"/api/clientes/{c}/actividades").json()[0]["fecha"]
    assert desde_api.startswith("2025-11-21T00:30:00") and desde_api.endswith("+01:00")

    pagina = panel.get(f"/clientes/{c}").text
    marca = re.search(r'<time datetime="([^"]+)">([^<]+)</time>', pagina)
    assert marca is not None
    assert marca.group(2) == "21/11/2025"
    assert marca.group(1) == desde_api  # the same instant, written as the API writes it


def test_an_estimated_close_date_is_the_day_typed_in_the_form(
    panel: httpx.Client, api: httpx.Client, make_cliente: Any
) -> None:
    c = make_cliente()["id"]
    api.post(
        f"/api/clientes/{c}/oportunidades",
        json={
            "nombre_proyecto": "Tienda online",
            "monto_estimado": 1000,
            "fecha_cierre_estimada": "2026-11-21T00:00:00",  # naive: read in Madrid
        },
    )
    assert "Cierre estimado 21/11/2026" in panel.get(f"/clientes/{c}").text
    assert "cierre 21/11/2026" in panel.get("/pipeline").text
