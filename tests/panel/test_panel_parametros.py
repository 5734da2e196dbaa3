"""A panel page given a query parameter it cannot use still answers its HTML page (with the
panel's security headers), never the API's JSON problem: the parameter is ignored, a long
search is cut, as a bad `/clientes?pagina=abc` always was."""

from __future__ import annotations

from typing import Any

import httpx
import pytest


def _es_la_pagina(response: httpx.Response, texto: str) -> None:
    assert response.status_code == 200, response.text[:300]
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["content-security-policy"].startswith("default-src 'self'")
    assert response.headers["cache-control"] == "no-store"
    assert texto in response.text


@pytest.mark.parametrize(
    "params",
    [
        {"q": "a" * 201},
        {"sector": "s" * 201},
        {"estado": "e" * 41},
        {"riesgo_impago": "r" * 41},
        {"ordenar_por": "o" * 41},
        {"orden": "ascendente"},
        {"pagina": "1234567"},
        {"pagina": "-3"},
    ],
    ids=lambda p: next(iter(p)),
)
def test_the_client_list_tolerates_a_bad_parameter(
    panel: httpx.Client, make_cliente: Any, params: dict[str, str]
) -> None:
    make_cliente(nombre_empresa="Aaaa S.L.")
    _es_la_pagina(panel.get("/clientes", params=params), "Nuevo cliente")


def test_a_long_search_is_cut_and_still_searches(panel: httpx.Client, make_cliente: Any) -> None:
    make_cliente(nombre_empresa="Aaaa S.L.")
    response = panel.get("/clientes", params={"q": "a" * 201})
    _es_la_pagina(response, "Ningún cliente coincide")
    assert f'value="{"a" * 200}"' in response.text


def test_the_export_tolerates_a_long_filter(panel: httpx.Client, make_cliente: Any) -> None:
    make_cliente(nombre_empresa="Aaaa S.L.", sector_industria="s" * 100)
    response = panel.get("/clientes/exportar.csv", params={"sector": "s" * 201})
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    assert "Aaaa S.L." in response.content.decode("utf-8-sig")


@pytest.mark.parametrize(
    "params",
    [
        {"pagina": "-3"},
        {"pagina": "abc"},
        {"pagina": "99999999"},
        {"pendientes": "quizas"},
        {"tipo": "t" * 21},
    ],
    ids=lambda p: f"{next(iter(p))}={next(iter(p.values()))[:8]}",
)
def test_the_ficha_tolerates_a_bad_parameter(
    panel: httpx.Client, api: httpx.Client, make_cliente: Any, params: dict[str, str]
) -> None:
    c = make_cliente()["id"]
    api.post(f"/api/clientes/{c}/actividades", json={"tipo": "email", "titulo": "Correo previo"})
    response = panel.get(f"/clientes/{c}", params=params)
    _es_la_pagina(response, "Historial")
    # Read as the first page, unfiltered (page 99999999: past the end, so its last, the first).
    assert "Correo previo" in response.text


def test_the_ficha_still_reads_its_good_parameters(
    panel: httpx.Client, api: httpx.Client, make_cliente: Any
) -> None:
    c = make_cliente()["id"]
    api.post(f"/api/clientes/{c}/actividades", json={"tipo": "tarea", "titulo": "Enviar oferta"})
    api.post(
        f"/api/clientes/{c}/actividades",
        json={"tipo": "tarea", "titulo": "Llamar ya", "completada": True},
    )
    solo = panel.get(f"/clientes/{c}", params={"pendientes": "true"}).text
    assert "Enviar oferta" in solo and "Llamar ya" not in solo
    assert 'name="pendientes" value="true" checked' in solo
    for dia in range(1, 21):  # older than both tasks: the second page of 20 holds two
        nota = {"tipo": "nota", "titulo": f"Nota {dia:02d}", "fecha": f"2025-01-{dia:02d}T10:00"}
        assert api.post(f"/api/clientes/{c}/actividades", json=nota).status_code == 201
    segunda = panel.get(f"/clientes/{c}", params={"pagina": "1"}).text
    assert "Enviar oferta" not in segunda and "← Más recientes" in segunda
    assert "Nota 01" in segunda and "Nota 02" in segunda and "Nota 03" not in segunda


def test_a_timeline_page_past_the_end_shows_the_last_one(
    panel: httpx.Client, api: httpx.Client, make_cliente: Any
) -> None:
    """An old link to a page of the history that no longer exists (activities deleted, a
    filter that keeps fewer): its last page, as the client list does, not "Sin
    actividades." above a link to another empty page."""
    c = make_cliente()["id"]
    api.post(f"/api/clientes/{c}/actividades", json={"tipo": "email", "titulo": "Correo previo"})
    response = panel.get(f"/clientes/{c}", params={"pagina": "999"})
    _es_la_pagina(response, "Historial")
    assert "Correo previo" in response.text and "Sin actividades." not in response.text
    assert "← Más recientes" not in response.text and "pagina=998" not in response.text


def test_a_page_past_the_end_shows_the_last_one_and_links_are_clean(
    panel: httpx.Client, make_cliente: Any
) -> None:
    """An old link to page 99 of a list that has shrunk: its last page (not "Ningún cliente
    coincide" under a count of clients), and the page links carry no stray `&`."""
    for i in range(27):  # two pages of 25
        make_cliente(nombre_empresa=f"Empresa {i:02d} S.L.", email=f"e{i}@x.es")
    response = panel.get("/clientes", params={"pagina": "99", "ordenar_por": "nombre_empresa"})
    _es_la_pagina(response, "Página 2 de 2")
    assert "Ningún cliente coincide" not in response.text
    assert "Empresa 00 S.L." in response.text  # descending by name: the last page has the first
    assert (
        'href="/clientes?ordenar_por=nombre_empresa&amp;orden=desc&amp;pagina=1"' in response.text
    )
    filtrada = panel.get("/clientes", params={"q": "Empresa", "pagina": "2"})
    assert 'href="/clientes?q=Empresa&amp;ordenar_por=' in filtrada.text
    assert "?&amp;" not in response.text + filtrada.text
