"""The published description of the API: operationIds and the docs pages, served offline.

Swagger UI and ReDoc come from the `fastapi-offline` package (MIT; it ships Swagger UI's
and ReDoc's own bundles), mounted by the app: `/docs` and `/redoc` load nothing from
another origin.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import fastapi_offline
from fastapi import FastAPI
from fastapi.openapi.docs import (
    get_redoc_html,
    get_swagger_ui_html,
    get_swagger_ui_oauth2_redirect_html,
)
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles
from starlette.responses import HTMLResponse

ASSETS_URL = "/docs-assets"
_ASSETS_DIR = Path(fastapi_offline.__file__).parent / "static"


def operation_id(route: APIRoute) -> str:
    """The operationId of a route: its function's name in camelCase (`listar_clientes` ->
    `listarClientes`), so generated SDKs get short names that do not change with the path."""
    first, *rest = route.name.split("_")
    return first + "".join(word.capitalize() for word in rest)


# FastAPI's own description of a success ("Successful Response"), in Spanish by status.
_EXITO = {"200": "Correcto", "201": "Creado", "204": "Hecho, sin cuerpo"}


def _exito_en_espanol(app: FastAPI) -> None:
    """The published description says a success in Spanish, as it says everything else."""
    generar = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            esquema = generar()
            for ruta in esquema.get("paths", {}).values():
                for operacion in ruta.values():
                    for codigo, respuesta in operacion.get("responses", {}).items():
                        if respuesta.get("description") == "Successful Response":
                            respuesta["description"] = _EXITO.get(codigo, "Correcto")
        return app.openapi_schema or generar()

    app.openapi = openapi  # type: ignore[method-assign]


def instalar_documentacion(app: FastAPI) -> None:
    """`/docs` (Swagger UI) and `/redoc` with their assets served by the app itself, and
    the published description's few words of FastAPI's own in Spanish. The app must be
    built with `docs_url=None, redoc_url=None`."""
    _exito_en_espanol(app)
    app.mount(ASSETS_URL, StaticFiles(directory=_ASSETS_DIR), name="docs-assets")
    openapi_url = app.openapi_url or "/openapi.json"
    redirect_url = "/docs/oauth2-redirect"

    @app.get("/docs", include_in_schema=False)
    def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=openapi_url,
            title=f"{app.title} - Swagger UI",
            oauth2_redirect_url=redirect_url,
            swagger_js_url=f"{ASSETS_URL}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS_URL}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS_URL}/favicon.png",
            swagger_ui_parameters=app.swagger_ui_parameters,
        )

    @app.get(redirect_url, include_in_schema=False)
    def swagger_ui_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    @app.get("/redoc", include_in_schema=False)
    def redoc() -> HTMLResponse:
        return get_redoc_html(
            openapi_url=openapi_url,
            title=f"{app.title} - ReDoc",
            redoc_js_url=f"{ASSETS_URL}/redoc.standalone.js",
            redoc_favicon_url=f"{ASSETS_URL}/favicon.png",
            with_google_fonts=False,
        )
