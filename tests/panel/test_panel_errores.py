"""A panel route's request error is a page in Spanish, never the API's problem+json; the
API's routes keep answering problem+json for the same kinds of error."""

from __future__ import annotations

from typing import Annotated

import httpx
from fastapi import APIRouter, Query
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as SQLAlchemyTimeoutError

from smartbilling_crm.kit.excepciones import SinConexionError
from smartbilling_crm.main import create_app
from smartbilling_crm.panel.web import RutaPanel

from ..conftest import API_KEY, Backend, ServerThread, make_settings


def _pagina(response: httpx.Response, status: int) -> str:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("text/html")
    assert "Content-Security-Policy" in response.headers  # the panel's own headers
    assert '"detail"' not in response.text
    return response.text


def test_a_form_the_server_cannot_read_is_a_400_page(panel: httpx.Client) -> None:
    # A multipart body without its boundary: the form parser gives up before any field.
    response = panel.post(
        "/hoy/hecho", content=b"x", headers={"Content-Type": "multipart/form-data"}
    )
    pagina = _pagina(response, 400)
    assert "No se ha podido leer lo que ha enviado el navegador" in pagina
    assert "Missing boundary" not in pagina


def test_opening_a_form_address_is_a_405_page(panel: httpx.Client) -> None:
    response = panel.get("/pipeline/mover")
    pagina = _pagina(response, 405)
    assert "Esta dirección no se abre así" in pagina
    assert response.headers["allow"] == "POST"
    # A page's address written to with a method it does not take names all it takes.
    otra = panel.request("PUT", "/clientes", headers={"Accept": "text/html"})
    assert otra.status_code == 405 and otra.headers["allow"] == "GET, HEAD, POST"


def test_the_api_keeps_its_problem_json(api: httpx.Client) -> None:
    limite = api.get("/api/clientes/", params={"limit": 500})
    assert limite.status_code == 422
    assert limite.headers["content-type"] == "application/problem+json"
    assert limite.json()["errors"][0]["campo"] == "limit"
    metodo = api.get("/api/facturas/importar")
    assert metodo.status_code == 405
    assert metodo.headers["content-type"] == "application/problem+json"
    assert metodo.json()["detail"] == "Método no permitido en esta ruta"


def test_a_panel_route_with_a_query_bound_answers_a_422_page(db: Backend) -> None:
    """Panel pages take their query parameters as text today (358b278); a page that
    bounds one with FastAPI, as the API does, still answers a page, not JSON."""
    app = create_app(make_settings(db.url, CRM_API_KEYS=API_KEY))
    pagina_de_prueba = APIRouter(include_in_schema=False, route_class=RutaPanel)

    @pagina_de_prueba.get("/prueba-panel")
    def prueba(pagina: Annotated[int, Query(ge=1, le=100)] = 1) -> dict[str, int]:
        return {"pagina": pagina}

    app.include_router(pagina_de_prueba)
    server = ServerThread(app)
    server.start()
    try:
        with httpx.Client(base_url=server.base_url, timeout=30) as client:
            assert client.get("/prueba-panel", params={"pagina": 3}).json() == {"pagina": 3}
            response = client.get("/prueba-panel", params={"pagina": 0})
            pagina = _pagina(response, 422)
            assert "Datos no válidos" in pagina
            assert "pagina: debe ser mayor o igual que 1" in pagina
            api = client.get(
                "/api/clientes/",
                params={"limit": 0},
                headers={"Authorization": f"Bearer {API_KEY}"},
            )
            assert api.status_code == 422
            assert api.headers["content-type"] == "application/problem+json"
    finally:
        server.stop()


NAVEGADOR = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


def test_an_address_no_route_serves_is_a_404_page_for_a_browser(api: httpx.Client) -> None:
    # No session needed: a mistyped link is answered before any page asks for one.
    response = api.get("/clientes/x/typo", headers=NAVEGADOR)
    pagina = _pagina(response, 404)
    assert "Página no encontrada" in pagina
    assert 'href="/"' in pagina
    # An API client (or a browser) under /api/ keeps the problem+json.
    for headers in ({}, NAVEGADOR):
        perdida = api.get("/api/clientez/", headers=headers)
        assert perdida.status_code == 404
        assert perdida.headers["content-type"] == "application/problem+json"
        assert perdida.json()["detail"] == "Ruta no encontrada"
    # A script outside /api/ that does not ask for HTML gets JSON too.
    assert api.get("/nada").headers["content-type"] == "application/problem+json"


def test_a_busy_database_on_a_panel_page_is_a_503_page(db: Backend) -> None:
    app = create_app(make_settings(db.url, CRM_API_KEYS=API_KEY))
    paginas = APIRouter(include_in_schema=False, route_class=RutaPanel)
    api = APIRouter()

    @paginas.get("/ocupada")
    @api.get("/api/ocupada")
    def ocupada() -> None:
        raise OperationalError("UPDATE x", {}, Exception("database is locked"))

    @paginas.get("/sin-conexion")
    @api.get("/api/sin-conexion")
    def sin_conexion() -> None:
        raise SQLAlchemyTimeoutError("QueuePool limit reached")

    @paginas.get("/sin-turno")
    @api.get("/api/sin-turno")
    def sin_turno() -> None:  # what `deps.reservar_conexion` raises after its wait
        raise SinConexionError(SinConexionError.MENSAJE_ESCRITURA)

    app.include_router(paginas)
    app.include_router(api)
    server = ServerThread(app)
    server.start()
    try:
        with httpx.Client(base_url=server.base_url, timeout=30) as client:
            for ruta in ("/ocupada", "/sin-conexion", "/sin-turno"):
                response = client.get(ruta, headers=NAVEGADOR)
                pagina = _pagina(response, 503)
                assert "Base de datos ocupada" in pagina
                assert "recarga la página" in pagina
                assert int(response.headers["retry-after"]) > 0
                de_la_api = client.get("/api" + ruta)
                assert de_la_api.status_code == 503
                assert de_la_api.headers["content-type"] == "application/problem+json"
                assert de_la_api.headers["retry-after"] == response.headers["retry-after"]
    finally:
        server.stop()
