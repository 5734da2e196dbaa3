"""The panel in a real browser: Debian's Chromium driven by Playwright, against the real
app with the demo portfolio (SQLite). Every test also checks that no request leaves the
server's origin and that the console stays free of errors.

Outside CI the module is skipped, with the reason, when /usr/bin/chromium is missing
(`apt-get install -y chromium`); with CI=true a missing Chromium fails.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from smartbilling_crm.config import DEV_USER_EMAIL, DEV_USER_PASSWORD
from smartbilling_crm.kit.contexto import unidad_de_trabajo
from smartbilling_crm.kit.deps import get_now
from smartbilling_crm.main import create_app
from smartbilling_crm.ops import demo

from ..conftest import API_KEY, IN_CI, Clock, ServerThread, make_settings

CHROMIUM = Path(os.environ.get("CRM_TEST_CHROMIUM", "/usr/bin/chromium"))
ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
DOCS = Path(__file__).resolve().parents[2] / "docs"

if not CHROMIUM.exists():
    motivo = f"no Chromium at {CHROMIUM} (apt-get install -y chromium)"
    if IN_CI:
        pytest.fail(f"CI=true and {motivo}", pytrace=False)
    pytest.skip(motivo, allow_module_level=True)

playwright_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture(scope="module")
def servidor(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The real app on a fresh SQLite file, with the demo portfolio and the dev user."""
    url = f"sqlite:///{tmp_path_factory.mktemp('navegador') / 'crm.db'}"
    clock = Clock()
    app = create_app(make_settings(url))
    app.dependency_overrides[get_now] = clock.now
    server = ServerThread(app)
    server.start()
    with unidad_de_trabajo(
        app.state.session_factory, app.state.settings, clock.now(), app.state.efectos
    ) as ctx:
        demo.construir(ctx)
    try:
        yield server.base_url
    finally:
        server.stop()


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            yield browser
        finally:
            browser.close()


@dataclass
class Vigilancia:
    """What a page did that it should not: console errors, uncaught errors, and requests
    to anywhere but the server."""

    origen: str
    errores: list[str] = field(default_factory=list)
    fuera: list[str] = field(default_factory=list)
    # Refusals a test provokes on purpose (a wrong password is a 401, a refused form a
    # 422): Chromium logs their status in the console; any other error still fails.
    esperados: set[int] = field(default_factory=set)

    def permitir(self, *estados: int) -> None:
        self.esperados.update(estados)

    def consola(self, mensaje: Any) -> None:
        if mensaje.type != "error":
            return
        if any(f"status of {e} " in mensaje.text for e in self.esperados):
            return
        self.errores.append(mensaje.text)

    def peticion(self, peticion: Any) -> None:
        if not (peticion.url.startswith(self.origen + "/") or peticion.url.startswith("data:")):
            self.fuera.append(peticion.url)


def _contexto(chromium: Any, servidor: str, vigilancia: Vigilancia, **opciones: Any) -> Any:
    contexto = chromium.new_context(base_url=servidor, locale="es-ES", **opciones)
    contexto.on("request", vigilancia.peticion)
    return contexto


@pytest.fixture
def vigilancia(servidor: str) -> Iterator[Vigilancia]:
    v = Vigilancia(servidor)
    yield v
    assert v.fuera == [], f"requests left the server's origin: {v.fuera}"
    assert v.errores == [], f"console errors: {v.errores}"


@pytest.fixture
def pagina(chromium: Any, servidor: str, vigilancia: Vigilancia) -> Iterator[Any]:
    contexto = _contexto(chromium, servidor, vigilancia, viewport={"width": 1280, "height": 900})
    page = contexto.new_page()
    page.on("console", vigilancia.consola)
    page.on("pageerror", lambda e: vigilancia.errores.append(str(e)))
    try:
        yield page
    finally:
        contexto.close()


def _entrar(page: Any, contrasena: str = DEV_USER_PASSWORD) -> None:
    page.goto("/entrar")
    page.get_by_label("Email").fill(DEV_USER_EMAIL)
    page.get_by_label("Contraseña").fill(contrasena)
    page.get_by_role("button", name="Entrar").click()


def test_login_with_a_wrong_password_then_the_right_one(
    pagina: Any, servidor: str, vigilancia: Vigilancia
) -> None:
    vigilancia.permitir(401)
    _entrar(pagina, "no-es-esta")
    pagina.get_by_role("alert").wait_for()
    assert "El email o la contraseña no son correctos" in pagina.get_by_role("alert").inner_text()
    _entrar(pagina)
    pagina.wait_for_url(servidor + "/")
    assert pagina.get_by_role("heading", name="Qué hacer hoy").is_visible()


@pytest.fixture
def dentro(pagina: Any, servidor: str) -> Any:
    _entrar(pagina)
    pagina.wait_for_url(servidor + "/")
    return pagina


def test_hoy_shows_the_demo_portfolio_and_what_to_do(dentro: Any) -> None:
    assert dentro.get_by_role("heading", name="La cartera").is_visible()
    assert "LTV total" in dentro.locator(".cifras").inner_text()
    primera = dentro.locator(".tarea").first
    assert "Crítica" in primera.inner_text()
    assert dentro.get_by_role("link", name="Distribuciones Mediterráneo S.L.").first.is_visible()
    assert dentro.get_by_role("heading", name="Facturas esperadas esta semana").is_visible()
    if os.environ.get("CRM_CAPTURAS"):
        dentro.screenshot(path=str(DOCS / "panel-hoy.png"))


def test_keyboard_first_reaches_the_skip_link(dentro: Any) -> None:
    dentro.keyboard.press("Tab")
    enfocado = dentro.evaluate("document.activeElement.textContent")
    assert enfocado == "Saltar al contenido"


def test_search_without_accents_then_open_the_ficha(dentro: Any, servidor: str) -> None:
    dentro.get_by_role("link", name="Clientes", exact=True).click()
    dentro.get_by_role("searchbox", name="Buscar").fill("MEDITERRANEO")
    dentro.get_by_role("searchbox", name="Buscar").press("Enter")
    dentro.wait_for_url("**/clientes?q=MEDITERRANEO**")
    dentro.get_by_role("link", name="Distribuciones Mediterráneo S.L.").click()
    dentro.wait_for_url(servidor + "/clientes/demo-mediterraneo")
    assert dentro.get_by_role("heading", level=1).inner_text() == "Distribuciones Mediterráneo S.L."
    assert "Crítico" in dentro.locator(".insignias").inner_text()
    assert dentro.locator("#salud .motivos li").count() > 0
    assert dentro.locator("svg.svg-grafico").count() == 2
    if os.environ.get("CRM_CAPTURAS"):
        dentro.screenshot(path=str(DOCS / "panel-ficha.png"))


def test_registering_a_call_shows_it_in_the_timeline_and_activity_is_today(
    dentro: Any, servidor: str
) -> None:
    dentro.goto("/clientes/demo-levante")
    ultima = dentro.locator(".cifras div", has_text="Última actividad")
    assert "hoy" not in ultima.inner_text()
    formulario = dentro.locator("#actividad form")
    formulario.get_by_label("Tipo").select_option("llamada")
    formulario.get_by_label("Título").fill("Llamada para reactivar la cuenta")
    formulario.get_by_label("Duración (minutos)").fill("20")
    formulario.get_by_role("button", name="Registrar").click()
    dentro.wait_for_url("**/clientes/demo-levante#actividad")
    assert "Actividad registrada" in dentro.get_by_role("status").inner_text()
    primera = dentro.locator(".timeline li").first
    assert "Llamada para reactivar la cuenta" in primera.inner_text()
    assert "hoy" in dentro.locator(".cifras div", has_text="Última actividad").inner_text()


def test_a_refused_activity_shows_the_message_by_the_field(
    dentro: Any, vigilancia: Vigilancia
) -> None:
    vigilancia.permitir(422)
    dentro.goto("/clientes/demo-bahia")
    dentro.locator("#actividad form").get_by_role("button", name="Registrar").click()
    error = dentro.locator("#actividad-titulo-error")
    error.wait_for()
    assert error.inner_text()
    # The page focuses the first field with an error (panel.js).
    assert dentro.evaluate("document.activeElement.id") == "actividad-titulo"


def test_create_an_opportunity_and_win_it(dentro: Any) -> None:
    dentro.goto("/clientes/demo-orbita")
    dentro.get_by_text("Nueva oportunidad").click()
    formulario = dentro.locator("#oportunidad form")
    formulario.get_by_label("Proyecto").fill("Licencias anuales")
    formulario.get_by_label("Importe estimado (€)").fill("12000")
    formulario.get_by_label("Etapa").select_option("presupuesto")
    formulario.get_by_role("button", name="Crear oportunidad").click()
    assert "Oportunidad creada" in dentro.get_by_role("status").inner_text()
    tarjeta = dentro.locator("#oportunidades li", has_text="Licencias anuales")
    tarjeta.get_by_text("Cerrar").click()
    tarjeta.get_by_label("Valor final (€)").fill("11.500,00")
    tarjeta.get_by_role("button", name="Ganada").click()
    assert "Oportunidad ganada" in dentro.get_by_role("status").inner_text()
    assert dentro.locator("#oportunidades li", has_text="Licencias anuales").count() == 0
    assert "Activo" in dentro.locator(".insignias").inner_text()


def test_a_form_without_its_csrf_token_is_refused(dentro: Any, vigilancia: Vigilancia) -> None:
    vigilancia.permitir(403)
    dentro.goto("/clientes/demo-tajo")
    dentro.evaluate("document.querySelector('#actividad input[name=csrf]').remove()")
    formulario = dentro.locator("#actividad form")
    formulario.get_by_label("Título").fill("Sin token")
    formulario.get_by_role("button", name="Registrar").click()
    assert dentro.get_by_role("heading", name="Formulario caducado").is_visible()
    dentro.goto("/clientes/demo-tajo")
    assert "Sin token" not in dentro.locator(".timeline").inner_text()


def test_pipeline_moves_an_opportunity(dentro: Any) -> None:
    dentro.get_by_role("link", name="Pipeline").click()
    assert dentro.get_by_role("heading", name="Negociación").is_visible()
    if os.environ.get("CRM_CAPTURAS"):
        dentro.screenshot(path=str(DOCS / "panel-pipeline.png"))
    tarjeta = dentro.locator(".e-identificada .tarjetas-op li").first
    nombre = tarjeta.locator("a").inner_text()
    tarjeta.get_by_role("combobox").select_option("contactado")
    tarjeta.get_by_role("button", name="Mover").click()
    assert "ahora en" in dentro.get_by_role("status").inner_text()
    assert dentro.locator(".e-contactado .tarjetas-op li", has_text=nombre).count() == 1


def test_logout(dentro: Any, servidor: str) -> None:
    dentro.get_by_role("button", name="Salir").click()
    dentro.wait_for_url(servidor + "/entrar")
    dentro.goto("/")
    assert dentro.url == servidor + "/entrar"


def test_an_api_key_alone_does_not_open_the_panel(
    chromium: Any, servidor: str, vigilancia: Vigilancia
) -> None:
    contexto = _contexto(
        chromium, servidor, vigilancia, extra_http_headers={"Authorization": f"Bearer {API_KEY}"}
    )
    try:
        page = contexto.new_page()
        page.goto("/")
        assert page.url == servidor + "/entrar"
        assert page.get_by_role("heading", name="Entrar").is_visible()
    finally:
        contexto.close()


@pytest.mark.parametrize("ruta", ["/", "/clientes", "/clientes/demo-mediterraneo", "/pipeline"])
def test_a_phone_width_page_has_no_horizontal_scroll(
    chromium: Any, servidor: str, vigilancia: Vigilancia, ruta: str
) -> None:
    contexto = _contexto(
        chromium, servidor, vigilancia, viewport={"width": 375, "height": 740}, is_mobile=True
    )
    try:
        page = contexto.new_page()
        page.on("console", vigilancia.consola)
        _entrar(page)
        page.wait_for_url(servidor + "/")
        page.goto(ruta)
        ancho = page.evaluate("document.documentElement.scrollWidth")
        assert ancho <= 375, f"{ruta}: {ancho}px wide at 375px"
    finally:
        contexto.close()
