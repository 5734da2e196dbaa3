"""Panel fixtures: a browser-like httpx client logged in through /entrar, and the demo
portfolio loaded through the same service the CLI uses."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import pytest

from smartbilling_crm.config import DEV_USER_EMAIL, DEV_USER_PASSWORD
from smartbilling_crm.kit.contexto import unidad_de_trabajo
from smartbilling_crm.kit.db import transaction
from smartbilling_crm.ops import demo
from smartbilling_crm.panel.limitador import Limitador
from smartbilling_crm.usuarios import service as usuarios_service

from ..conftest import Backend

_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def csrf_de(html: str) -> str:
    match = _CSRF.search(html)
    assert match, "the page has no form with a CSRF token"
    return match.group(1)


def entrar(
    client: httpx.Client, email: str = DEV_USER_EMAIL, contrasena: str = DEV_USER_PASSWORD
) -> httpx.Response:
    token = csrf_de(client.get("/entrar").text)
    return client.post("/entrar", data={"csrf": token, "email": email, "contrasena": contrasena})


def enviar(client: httpx.Client, pagina: str, accion: str, datos: dict[str, str]) -> httpx.Response:
    """Post a form of `pagina` the way a browser does: with the page's CSRF token."""
    token = csrf_de(client.get(pagina).text)
    return client.post(accion, data={"csrf": token, **datos})


def asegurar_usuario(db: Backend) -> None:
    """The tables are emptied after every test: the development user is made again, and
    the login throttle forgets earlier tests' failures."""
    db.app.state.limitador_entrar = Limitador()
    with transaction(db.app.state.session_factory) as session:
        usuarios_service.asegurar_usuario_demo(session, db.app.state.settings, datetime.now(UTC))


def cargar_demo(db: Backend) -> None:
    settings = db.app.state.settings
    with unidad_de_trabajo(
        db.app.state.session_factory, settings, db.clock.now(), db.app.state.efectos
    ) as ctx:
        demo.construir(ctx)


@pytest.fixture
def navegador(db: Backend) -> Iterator[httpx.Client]:
    """A client with cookies and no credentials, as a browser arrives."""
    asegurar_usuario(db)
    with httpx.Client(base_url=db.server.base_url, timeout=30) as client:
        yield client


@pytest.fixture
def panel(navegador: httpx.Client) -> httpx.Client:
    """A client logged in as the development user."""
    response = entrar(navegador)
    assert response.status_code == 303, response.text
    return navegador
