"""HEAD on the panel's pages as on the API (`tests/test_head.py`): a monitor watching the
panel's address gets what a browser's GET would, without the body."""

from __future__ import annotations

import httpx

from .conftest import entrar


def test_head_of_the_panel_and_the_service_checks(
    anon: httpx.Client, navegador: httpx.Client
) -> None:
    assert anon.head("/healthz").status_code == 200
    sin_sesion = navegador.head("/")
    assert sin_sesion.status_code == 303  # as a GET: to the login page
    entrar_ = navegador.head(sin_sesion.headers["location"])
    assert entrar_.status_code == 200
    assert entrar_.headers["content-type"].startswith("text/html")
    assert entrar(navegador).status_code == 303
    hoy = navegador.head("/")
    assert hoy.status_code == 200
    assert hoy.content == b""
    assert int(hoy.headers["content-length"]) == len(navegador.get("/").content)
