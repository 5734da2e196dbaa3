"""The client page's way back from "cliente perdido" (the API's `estado: null`), on SQLite
and PostgreSQL: a client marked lost by mistake had none but a new invoice."""

from __future__ import annotations

from html.parser import HTMLParser

import httpx

from ..clientes.test_perdido_a_mano import comprador
from ..conftest import Backend
from .conftest import enviar


class _Formulario(HTMLParser):
    """What a browser sends for the form posted to `accion`, as the page has it: every
    field's value, a checkbox only when ticked (`marcar`: the ids to tick)."""

    def __init__(self, accion: str, marcar: set[str]) -> None:
        super().__init__()
        self.accion, self.marcar = accion, marcar
        self.dentro = False
        self.campos: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.dentro = a.get("action") == self.accion
        elif self.dentro and tag in ("input", "textarea", "select") and a.get("name"):
            if a.get("type") == "checkbox" and a.get("id") not in self.marcar:
                return
            self.campos[a["name"]] = a.get("value", "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.dentro = False


def _guardar(panel: httpx.Client, ficha: str, marcar: frozenset[str] = frozenset()) -> None:
    """Submit the client page's edit form as it is, ticking the boxes in `marcar`."""
    formulario = _Formulario(ficha + "/editar", set(marcar))
    formulario.feed(panel.get(ficha).text)
    campos = {k: v for k, v in formulario.campos.items() if k != "csrf"}
    assert campos["nombre_empresa"] == "Panel S.L."
    assert enviar(panel, ficha, ficha + "/editar", campos).status_code == 303


def test_the_panel_offers_the_way_back(db: Backend, api: httpx.Client, panel: httpx.Client) -> None:
    antes = comprador(db, api, "panel")
    ficha = "/clientes/panel"
    assert "Marcar como cliente perdido" in panel.get(ficha).text
    _guardar(panel, ficha)  # saved as it is: nothing changes
    assert api.get("/api/clientes/panel").json()["estado"] == antes
    _guardar(panel, ficha, frozenset({"editar-perdido"}))
    assert api.get("/api/clientes/panel").json()["estado"] == "cliente_perdido"

    pagina = panel.get(ficha).text
    assert "Marcar como cliente perdido" not in pagina
    assert "Ya no está perdido" in pagina
    _guardar(panel, ficha)  # another edit of a lost client, the box left alone: still lost
    assert api.get("/api/clientes/panel").json()["estado"] == "cliente_perdido"
    _guardar(panel, ficha, frozenset({"editar-perdido"}))
    assert api.get("/api/clientes/panel").json()["estado"] == antes
