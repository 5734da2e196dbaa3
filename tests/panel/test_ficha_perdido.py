"""The client page's way back from "cliente perdido" (the API's `estado: null`), on SQLite
and PostgreSQL: a client marked lost by mistake had none but a new invoice."""

from __future__ import annotations

from html.parser import HTMLParser

import httpx

from ..clientes.test_perdido_a_mano import comprador
from ..conftest import Backend
from .conftest import enviar


class _Formulario(HTMLParser):
    """What a browser sends for the form posted to `accion`, as the page has it: each
    input's value, a textarea's text, a select's chosen option (else its first), a
    checkbox only when ticked (`marcar`: the ids to tick)."""

    def __init__(self, accion: str, marcar: frozenset[str]) -> None:
        super().__init__()
        self.accion, self.marcar = accion, marcar
        self.dentro = False
        self.campos: dict[str, str] = {}
        self.texto: str | None = None  # the textarea being read
        self.lista: str | None = None  # the select being read

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.dentro = a.get("action") == self.accion
        elif not self.dentro:
            return
        elif tag == "input" and a.get("name"):
            if a.get("type") != "checkbox" or a.get("id") in self.marcar:
                self.campos[a["name"]] = a.get("value", "")
        elif tag == "textarea" and a.get("name"):
            self.texto = a["name"]
            self.campos[self.texto] = ""
        elif tag == "select" and a.get("name"):
            self.lista = a["name"]
        elif (
            tag == "option"
            and self.lista is not None
            and (self.lista not in self.campos or "selected" in a)
        ):
            self.campos[self.lista] = a.get("value", "")

    def handle_data(self, data: str) -> None:
        if self.texto is not None:
            self.campos[self.texto] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.dentro = False
        elif tag == "textarea":
            self.texto = None
        elif tag == "select":
            self.lista = None


def _guardar(panel: httpx.Client, ficha: str, marcar: frozenset[str] = frozenset()) -> None:
    """Submit the client page's edit form as it is, ticking the boxes in `marcar`."""
    formulario = _Formulario(ficha + "/editar", marcar)
    formulario.feed(panel.get(ficha).text)
    campos = {k: v for k, v in formulario.campos.items() if k != "csrf"}
    assert campos["nombre_empresa"] == "Panel S.L."
    assert enviar(panel, ficha, ficha + "/editar", campos).status_code == 303


def test_the_panel_offers_the_way_back(db: Backend, api: httpx.Client, panel: httpx.Client) -> None:
    antes = comprador(db, api, "panel")
    ficha = "/clientes/panel"
    assert "Marcar como cliente perdido" in panel.get(ficha).text
    cambio = {"notas": "Paga por transferencia", "tamaño_empresa": "mediana"}
    assert api.patch("/api/clientes/panel", json=cambio).status_code == 200
    _guardar(panel, ficha)  # saved as it is: nothing changes
    cliente = api.get("/api/clientes/panel").json()
    assert (cliente["estado"], cliente["notas"], cliente["tamaño_empresa"]) == (
        antes,
        "Paga por transferencia",
        "mediana",
    )
    _guardar(panel, ficha, frozenset({"editar-perdido"}))
    assert api.get("/api/clientes/panel").json()["estado"] == "cliente_perdido"

    pagina = panel.get(ficha).text
    assert "Marcar como cliente perdido" not in pagina
    assert "Ya no está perdido" in pagina
    _guardar(panel, ficha)  # another edit of a lost client, the box left alone: still lost
    assert api.get("/api/clientes/panel").json()["estado"] == "cliente_perdido"
    _guardar(panel, ficha, frozenset({"editar-perdido"}))
    assert api.get("/api/clientes/panel").json()["estado"] == antes
