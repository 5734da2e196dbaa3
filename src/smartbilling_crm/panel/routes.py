"""The panel's routes, assembled: the session pages (/entrar, /salir) here, the portfolio
pages and the ficha in their modules. `instalar` is the one thing `main` calls."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any
from urllib.parse import quote, urlsplit

from fastapi import APIRouter, FastAPI, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.middleware.sessions import SessionMiddleware

from smartbilling_crm.config import DEV_USER_EMAIL, DEV_USER_PASSWORD, Settings
from smartbilling_crm.kit.deps import ContextoDep
from smartbilling_crm.kit.errores import paginas_para
from smartbilling_crm.panel import paginas_cartera, paginas_ficha
from smartbilling_crm.panel.limitador import Limitador
from smartbilling_crm.panel.web import (
    AQUI,
    CsrfNoValido,
    FormDep,
    NecesitaSesion,
    RutaPanel,
    csrf_token,
    render,
)
from smartbilling_crm.usuarios import service as usuarios_service

SESION_MAX_S = 12 * 3600
COOKIE = "crm_sesion"
# What a panel page says for an HTTP error of one of its routes: (title, message).
ERRORES_HTTP = {
    400: (
        "Petición no válida",
        "No se ha podido leer lo que ha enviado el navegador. Vuelve a la página, "
        "recárgala y envía el formulario de nuevo.",
    ),
    404: (
        "Página no encontrada",
        "Esta dirección no existe en el panel (¿un enlace antiguo o mal copiado?).",
    ),
    405: (
        "Esta dirección no se abre así",
        "Es la dirección de un formulario: vuelve a la página y usa su botón.",
    ),
    503: (
        "Base de datos ocupada",
        "La base de datos está ocupada o no responde. Espera unos segundos y recarga la "
        "página (si enviabas un formulario, no se ha guardado: envíalo otra vez).",
    ),
}

router = APIRouter(include_in_schema=False, route_class=RutaPanel)


def _destino_seguro(siguiente: str | None) -> str:
    """Only a path of this site (never another origin) after logging in."""
    if not siguiente:
        return "/"
    partes = urlsplit(siguiente)
    if partes.scheme or partes.netloc or not siguiente.startswith("/") or "\\" in siguiente:
        return "/"
    return siguiente


def _pagina_entrar(
    request: Request,
    error: str | None,
    email: str,
    siguiente: str,
    status_code: int = 200,
    cabeceras: dict[str, str] | None = None,
) -> HTMLResponse:
    settings: Settings = request.app.state.settings
    demo = (DEV_USER_EMAIL, DEV_USER_PASSWORD) if settings.env == "development" else None
    return render(
        request,
        "entrar.html",
        {"error": error, "email": email, "siguiente": siguiente, "demo": demo},
        status_code=status_code,
        cabeceras=cabeceras,
    )


@router.get("/entrar", response_class=HTMLResponse)
def entrar(request: Request, siguiente: Annotated[str | None, Query()] = None) -> HTMLResponse:
    return _pagina_entrar(request, None, "", _destino_seguro(siguiente))


@router.post("/entrar", response_model=None)
def entrar_post(request: Request, ctx: ContextoDep, datos: FormDep) -> Response:
    email = datos.get("email", "").strip()[:254]
    contrasena = datos.get("contrasena", "")
    siguiente = _destino_seguro(datos.get("siguiente"))
    limitador: Limitador = request.app.state.limitador_entrar
    direccion = request.client.host if request.client else "?"
    espera = limitador.espera(email, direccion)
    if espera:
        minutos = max(1, round(espera / 60))
        mensaje = f"Demasiados intentos fallidos. Espera {minutos} min y vuelve a probar."
        # As the API's 429 and the panel's 503: when to try again, for whatever reads it.
        cabeceras = {"Retry-After": str(espera)}
        return _pagina_entrar(request, mensaje, email, siguiente, 429, cabeceras)
    usuario = usuarios_service.autenticar(ctx.session, email, contrasena, ctx.now)
    if usuario is None:
        limitador.fallo(email, direccion)
        mensaje = "El email o la contraseña no son correctos."
        return _pagina_entrar(request, mensaje, email, siguiente, status_code=401)
    limitador.exito(email)
    # A new session on login: nothing from before (a planted cookie) carries over.
    request.session.clear()
    request.session["uid"] = usuario.id
    request.session["cierres"] = usuario.cierres_de_sesion
    csrf_token(request)
    return RedirectResponse(siguiente, status_code=303)


@router.post("/salir", response_model=None)
def salir(request: Request, ctx: ContextoDep, _datos: FormDep) -> Response:
    """Out of the panel, on every device: a copy of this session's cookie is refused too
    (so are the account's other sessions: a signed cookie cannot be revoked alone)."""
    usuario_id = request.session.get("uid")
    cierres = request.session.get("cierres", 0)
    # Only a session still valid closes the others: a copy already shut out (the one
    # "Salir" was for) must not keep logging its owner out.
    if (
        isinstance(usuario_id, str)
        and isinstance(cierres, int)
        and usuarios_service.activo(ctx.session, usuario_id, cierres) is not None
    ):
        usuarios_service.cerrar_sesiones(ctx.session, usuario_id)
    request.session.clear()
    return RedirectResponse("/entrar", status_code=303)


router.include_router(paginas_cartera.router)
router.include_router(paginas_ficha.router)


def _del_panel(request: Request) -> bool:
    """A panel route's request, or a browser's for an address no route serves (a mistyped
    or outdated link) outside the API: the API's clients keep their problem+json."""
    ruta = request.scope.get("route")
    if ruta is not None:
        return isinstance(ruta, RutaPanel)
    fuera_de_la_api = request.url.path.split("/")[1] != "api"
    return fuera_de_la_api and "text/html" in request.headers.get("accept", "")


def _pagina_de_validacion(request: Request, errores: list[dict[str, Any]]) -> Response:
    """A panel route's parameter FastAPI refused (a bound, a type): a page saying which,
    in the API's Spanish words."""
    detalle = "; ".join(f"{e['campo'] or 'petición'}: {e['mensaje']}" for e in errores[:5])
    return render(
        request,
        "error.html",
        {
            "titulo": "Datos no válidos",
            "mensaje": f"La página no admite lo que se le ha pedido ({detalle}). "
            "Vuelve atrás y prueba de nuevo.",
        },
        status_code=422,
    )


def _pagina_de_error_http(
    request: Request, status: int, cabeceras: Mapping[str, str] | None
) -> Response:
    titulo, mensaje = ERRORES_HTTP.get(
        status, ("No se ha podido atender", f"La petición no se ha podido atender ({status}).")
    )
    return render(
        request,
        "error.html",
        {"titulo": titulo, "mensaje": mensaje},
        status_code=status,
        cabeceras=cabeceras,
    )


def instalar(app: FastAPI, settings: Settings) -> None:
    """Add the panel to the app: its routes, static files, session cookie and handlers."""
    app.state.limitador_entrar = Limitador()
    app.include_router(router)
    app.mount("/static/panel", StaticFiles(directory=AQUI / "static"), name="panel-static")
    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.secret_key,
        session_cookie=COOKIE,
        max_age=SESION_MAX_S,
        same_site="lax",
        https_only=settings.env == "production",
    )

    # A panel route's request errors are pages; the API's routes keep problem+json.
    paginas_para(app, _del_panel, _pagina_de_validacion, _pagina_de_error_http)

    @app.exception_handler(NecesitaSesion)
    async def a_entrar(request: Request, exc: NecesitaSesion) -> Response:
        destino = "/entrar" if exc.siguiente == "/" else "/entrar?siguiente=" + quote(exc.siguiente)
        return RedirectResponse(destino, status_code=303)

    @app.exception_handler(CsrfNoValido)
    async def csrf_no_valido(request: Request, exc: CsrfNoValido) -> Response:
        return render(
            request,
            "error.html",
            {
                "titulo": "Formulario caducado",
                "mensaje": "El formulario no llevaba su código de seguridad (o ha caducado). "
                "Vuelve a la página, recárgala y envíalo de nuevo.",
            },
            status_code=403,
        )
