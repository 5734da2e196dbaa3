"""The panel's plumbing: templates, the session (who is logged in), CSRF and form parsing.

The session is a signed cookie (Starlette's SessionMiddleware, itsdangerous): HttpOnly,
SameSite=Lax, Secure in production. It holds the account id and the CSRF token; the
account is looked up on every request, so a deactivated user is out at once.
"""

from __future__ import annotations

import hmac
import re
import secrets
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, TypeVar
from urllib.parse import quote

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse
from fastapi.routing import APIRoute
from jinja2 import Environment, FileSystemLoader, select_autoescape
from pydantic import BaseModel, TypeAdapter, ValidationError

from smartbilling_crm.kit import csv_es, formato
from smartbilling_crm.kit.contexto import Contexto
from smartbilling_crm.kit.deps import ContextoDep
from smartbilling_crm.kit.errores import errores_de_campo
from smartbilling_crm.kit.excepciones import DomainError, NotFoundError
from smartbilling_crm.kit.schemas import MoneyIn, zona_negocio
from smartbilling_crm.usuarios import service as usuarios_service
from smartbilling_crm.usuarios.service import UsuarioVista

AQUI = Path(__file__).parent
ModelT = TypeVar("ModelT", bound=BaseModel)

# Pages load nothing from elsewhere: scripts, styles and images come from this origin only.
CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)

ETIQUETAS = {
    "prospecto": "Prospecto",
    "cliente_activo": "Activo",
    "cliente_dormido": "Dormido",
    "cliente_perdido": "Perdido",
    "vip": "VIP",
    "bajo": "Bajo",
    "medio": "Medio",
    "alto": "Alto",
    "critico": "Crítico",
    "excelente": "Excelente",
    "buena": "Buena",
    "en_riesgo": "En riesgo",
    "critica": "Crítica",
    "baja": "Baja",
    "media": "Media",
    "alta": "Alta",
    "identificada": "Identificada",
    "contactado": "Contactado",
    "presupuesto": "Presupuesto",
    "negociación": "Negociación",
    "ganada": "Ganada",
    "perdida": "Perdida",
}


def _euros(value: Decimal | float | int | None) -> str:
    return "—" if value is None else formato.euros(value)


def _cifra(value: float | None, sufijo: str = "") -> str:
    """A figure as the API gives it (already rounded half up), Spanish decimal comma."""
    return "—" if value is None else f"{formato.decimal1(value)}{sufijo}"


def _local(value: datetime) -> datetime:
    """An instant as the business time zone sees it (the API's offset for this request).
    Stored instants come back aware (UTC); a naive one is read as local time, as the
    API reads a naive input."""
    tz = zona_negocio()
    return value.replace(tzinfo=tz) if value.tzinfo is None else value.astimezone(tz)


def _fecha(value: date | datetime | None) -> str:
    """The local day: 00:30 in Madrid is that day, not the UTC day before."""
    if value is None:
        return "—"
    return formato.fecha(_local(value).date() if isinstance(value, datetime) else value)


def _iso(value: date | datetime) -> str:
    """For `<time datetime>`: ISO 8601 with the business zone's offset, as the API writes it."""
    return _local(value).isoformat() if isinstance(value, datetime) else value.isoformat()


def _etiqueta(value: object) -> str:
    texto = str(value) if value is not None else ""
    return ETIQUETAS.get(texto, texto.replace("_", " ").capitalize())


def _clase(value: object) -> str:
    """A CSS-safe class suffix for a stored value ("negociación" -> "negociacion")."""
    from smartbilling_crm.kit.validators import fold

    return fold(str(value)).replace(" ", "_")


def _opciones(
    items: Any, clave: str | None = None, texto: str | None = None
) -> list[tuple[str, str]]:
    """(value, label) pairs for a <select>: enum members, or rows by two attributes."""
    if clave is None:
        return [(str(i), _etiqueta(i)) for i in items]
    return [(str(getattr(i, clave)), str(getattr(i, texto or clave))) for i in items]


entorno = Environment(
    loader=FileSystemLoader(AQUI / "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
    trim_blocks=True,
    lstrip_blocks=True,
)
entorno.filters.update(
    euros=_euros,
    fecha=_fecha,
    iso=_iso,
    etiqueta=_etiqueta,
    clase=_clase,
    cifra=_cifra,
    hace=formato.hace,
    cantidad=formato.cantidad,
    dias=formato.dias,
)
entorno.globals.update(quote=quote, opciones=_opciones)


# A page's query parameters are typed by hand or kept in a bookmark: one the page cannot use
# is ignored (or a text cut to its limit), so the user still gets the page rather than the
# API's JSON problem. They arrive as plain text (no FastAPI bounds, which answer that JSON);
# the server's own cap on the request line bounds their size.
_SI = frozenset({"1", "true", "on", "yes", "y", "t", "si", "sí"})


def entero(texto: str | None, defecto: int, minimo: int, maximo: int) -> int:
    """A page number from the query: the default unless plain digits, kept in range."""
    if texto is None or not (texto.isascii() and texto.isdigit()):
        return defecto
    return max(minimo, min(int(texto), maximo))


def si(texto: str | None) -> bool:
    """A checkbox from the query: on only for a yes ("true", "1", "on", ...)."""
    return texto is not None and texto.strip().lower() in _SI


def csrf_token(request: Request) -> str:
    """This session's CSRF token (made on first use)."""
    token = request.session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


def render(
    request: Request,
    plantilla: str,
    contexto: Mapping[str, Any] | None = None,
    *,
    status_code: int = 200,
    usuario: UsuarioVista | None = None,
    cabeceras: Mapping[str, str] | None = None,
) -> HTMLResponse:
    """An HTML page: the template with the session's user, CSRF token and notice."""
    valores = {
        "usuario": usuario,
        "csrf": csrf_token(request),
        "aviso": request.session.pop("aviso", None),
        "ruta": request.url.path,
        **(contexto or {}),
    }
    html = entorno.get_template(plantilla).render(valores)
    return HTMLResponse(
        html,
        status_code=status_code,
        headers={**(cabeceras or {}), "Content-Security-Policy": CSP, "Cache-Control": "no-store"},
    )


def no_encontrado(
    request: Request, usuario: UsuarioVista, mensaje: str, volver: tuple[str, str]
) -> HTMLResponse:
    """A form about something that is not (or no longer) there: a 404 page whose link
    (`volver`: address, text) goes back to the page the form came from."""
    return render(
        request,
        "error.html",
        {"titulo": "No se ha encontrado", "mensaje": mensaje, "volver": volver},
        status_code=404,
        usuario=usuario,
    )


class RutaPanel(APIRoute):
    """A route of the panel: its errors are HTML pages, not the API's problem+json
    (`routes.instalar` looks for this class on the route that failed)."""


def avisar(request: Request, texto: str) -> None:
    """A one-off notice shown on the next page (after a redirect)."""
    request.session["aviso"] = texto


class NecesitaSesion(Exception):
    """No panel session: the handler sends the browser to /entrar."""

    def __init__(self, siguiente: str) -> None:
        super().__init__(siguiente)
        self.siguiente = siguiente


class CsrfNoValido(Exception):
    """A form posted without this session's CSRF token."""


def _usuario(request: Request, ctx: ContextoDep) -> UsuarioVista:
    usuario_id = request.session.get("uid")
    cierres = request.session.get("cierres", 0)  # absent in a session opened before it existed
    usuario = (
        usuarios_service.activo(ctx.session, usuario_id, cierres)
        if isinstance(usuario_id, str) and isinstance(cierres, int)
        else None
    )
    if usuario is None:
        request.session.pop("uid", None)
        destino = request.url.path if request.method == "GET" else "/"
        raise NecesitaSesion(destino)
    return usuario


UsuarioDep = Annotated[UsuarioVista, Depends(_usuario)]


async def _formulario(request: Request) -> dict[str, str]:
    """The posted form (text fields only), refused unless it carries the CSRF token."""
    form = await request.form()
    enviado = form.get("csrf")
    esperado = request.session.get("csrf")
    if (
        not isinstance(enviado, str)
        or not isinstance(esperado, str)
        or not hmac.compare_digest(enviado.encode(), esperado.encode())
    ):
        raise CsrfNoValido
    return {k: v for k, v in form.items() if isinstance(v, str) and k != "csrf"}


FormDep = Annotated[dict[str, str], Depends(_formulario)]


class ErroresFormulario(Exception):
    """A form refused: the message per field (wire names) and a summary."""

    def __init__(self, errores: dict[str, str], resumen: str) -> None:
        super().__init__(resumen)
        self.errores = errores
        self.resumen = resumen


def a_modelo(
    modelo: type[ModelT],
    datos: Mapping[str, str],
    campos: tuple[str, ...],
    *,
    casillas: tuple[str, ...] = (),
    importes: tuple[str, ...] = (),
    vaciar: bool = False,
) -> ModelT:
    """The API's input model from a form: checkboxes are booleans; pydantic's Spanish
    messages become `ErroresFormulario`.

    An empty field is left out of a new record (the default applies). An edit form
    (`vaciar`) sends it as null, as a PATCH clears a field: otherwise emptying the phone
    would keep the old one behind a "saved". A field the form does not carry stays out
    either way, so it is left as it is. The model refuses null where a value is required,
    and the user reads that it cannot be emptied. `importes` are read as `importe_en_texto`
    reads them, and then checked by the model like any amount of the API."""
    valores: dict[str, Any] = {c: datos[c].strip() for c in campos if datos.get(c, "").strip()}
    for campo in importes:
        if campo in valores:
            valores[campo] = importe_en_texto(valores[campo])
    vaciados = {c for c in campos if c in datos and c not in valores} if vaciar else set()
    valores.update(dict.fromkeys(vaciados))
    for casilla in casillas:
        valores[casilla] = casilla in datos
    try:
        return modelo.model_validate(valores)
    except ValidationError as exc:
        crudos = exc.errors()
        campos_api = errores_de_campo(crudos)  # the API's field names for each error
        por_campo = {
            str(api["campo"] or ""): _en_espanol(crudo)
            for api, crudo in zip(campos_api, crudos, strict=True)
        }
        for campo in vaciados & por_campo.keys():
            por_campo[campo] = "es obligatorio y no puede quedar vacío"
        raise ErroresFormulario(por_campo, "Revisa los campos marcados") from exc


# Dots as thousands separators, with no decimals ("1.500", "12.345.678").
_MILES = re.compile(r"-?\d{1,3}(\.\d{3})+")
_IMPORTE = TypeAdapter(MoneyIn)


def importe_en_texto(texto: str) -> str:
    """A typed amount as a plain decimal: "1.234,56" -> "1234.56", "1500,5" -> "1500.5",
    "1.500" -> "1500", "3 000 €" -> "3000"; a plain "2500.75" as it is. A dot followed by
    three digits and no comma is a thousands separator: an amount has two decimals."""
    limpio = re.sub(r"[\s€]", "", texto)
    if "," in limpio:
        return limpio.replace(".", "").replace(",", ".")
    return limpio.replace(".", "") if _MILES.fullmatch(limpio) else limpio


def importe(datos: Mapping[str, str], campo: str) -> Decimal | None:
    """An optional amount field, read as every money field of the panel and checked as
    the API checks an amount (at most two decimals, not negative); None when empty."""
    texto = datos.get(campo, "").strip()
    if not texto:
        return None
    try:
        return _IMPORTE.validate_python(importe_en_texto(texto))
    except ValidationError as exc:
        mensaje = _en_espanol(exc.errors()[0])
        raise ErroresFormulario({campo: mensaje}, "Revisa el importe") from exc


_MENSAJES_FORMULARIO = {
    "int_parsing": "debe ser un número entero",
    "int_from_float": "debe ser un número entero",
    "decimal_parsing": "debe ser un importe (por ejemplo 1500, 1500,50 o 1.500,50)",
    "float_parsing": "debe ser un número",
    "datetime_parsing": "debe ser una fecha y hora",
    "datetime_from_date_parsing": "debe ser una fecha y hora",
    "date_parsing": "debe ser una fecha",
    "bool_parsing": "debe ser sí o no",
}


def _en_espanol(error: Any) -> str:
    """The Spanish message the CSV import gives for the same error, and a few more for
    what only a form can send (a word in a number field)."""
    return _MENSAJES_FORMULARIO.get(str(error.get("type")), "") or csv_es.mensaje_en_espanol(error)


class NoEncontrado(ErroresFormulario):
    """A form about a record that is not there (a stale page, a made-up id): every page
    answers it with a 404 page (`no_encontrado`), not with a notice."""


def ejecutar(ctx: Contexto, accion: Any, *args: Any, **kwargs: Any) -> Any:
    """Run a service write in a savepoint: a refused write (DomainError) leaves nothing
    behind and becomes `ErroresFormulario` with the service's own message."""
    try:
        with ctx.session.begin_nested():
            return accion(*args, **kwargs)
    except NotFoundError as exc:
        raise NoEncontrado({}, exc.detail) from exc
    except DomainError as exc:
        por_campo = {str(e.get("campo") or ""): str(e.get("mensaje")) for e in exc.errors or []}
        raise ErroresFormulario(por_campo, exc.detail) from exc
