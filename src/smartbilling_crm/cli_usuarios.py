"""`smartbilling-crm usuarios crear|listar|desactivar`: the panel's accounts."""

from __future__ import annotations

import os
import sys
from typing import Annotated

import typer

from smartbilling_crm.cli import _fail, _settings, _unidad, console
from smartbilling_crm.cli_es import ComandoEs, GrupoEs
from smartbilling_crm.kit.excepciones import DomainError

usuarios_app = typer.Typer(
    cls=GrupoEs,
    help="Cuentas del panel web (crear, listar, desactivar).",
)
VARIABLE_CONTRASENA = "CRM_USUARIO_CONTRASENA"


@usuarios_app.command("crear", cls=ComandoEs)
def usuarios_crear(email: Annotated[str, typer.Argument(help="Email con el que entrará")]) -> None:
    """Crea una cuenta del panel.

    La contraseña se pide por teclado (dos veces), o se toma de la variable
    CRM_USUARIO_CONTRASENA para scripts.
    """
    from smartbilling_crm.usuarios import service as usuarios_service

    settings = _settings()
    contrasena = os.environ.get(VARIABLE_CONTRASENA) or _pedir_contrasena()
    with _unidad(settings) as ctx:
        try:
            usuario = usuarios_service.crear(ctx.session, email, contrasena, ctx.now)
        except DomainError as exc:
            _fail(exc.detail)
    console.print(f"[green]Usuario creado:[/green] {usuario.email}")


def _pedir_contrasena() -> str:
    """The password, typed twice until both agree. (typer.prompt's own confirmation says
    "The two entered values do not match." in English, with no way to word it.)"""
    en_terminal = _en_terminal()
    while True:
        contrasena = _leer_contrasena("Contraseña", en_terminal)
        if _leer_contrasena("Repítela", en_terminal) == contrasena:
            return contrasena
        console.print("[red]Error:[/red] las dos contraseñas no coinciden; escríbela otra vez.")


def _en_terminal() -> bool:
    return sys.stdin.isatty()


def _leer_contrasena(texto: str, en_terminal: bool) -> str:
    """Typed at a terminal, hidden; else a line of standard input (`getpass` would warn in
    English that it cannot hide it, and read it anyway)."""
    if en_terminal:
        contrasena: str = typer.prompt(texto, hide_input=True)
        return contrasena
    linea = sys.stdin.readline()
    if not linea:
        _fail(
            f"No se ha recibido la contraseña: escríbela en un terminal, o define la "
            f"variable {VARIABLE_CONTRASENA}"
        )
    return linea.removesuffix("\n").removesuffix("\r")


@usuarios_app.command("listar", cls=ComandoEs)
def usuarios_listar() -> None:
    """Las cuentas del panel, activas o no, con su último acceso."""
    from smartbilling_crm.usuarios import service as usuarios_service

    settings = _settings()
    with _unidad(settings) as ctx:
        usuarios = usuarios_service.listar(ctx.session)
    for u in usuarios:
        acceso = (
            u.ultimo_acceso.astimezone(settings.tz).strftime("%Y-%m-%d %H:%M")
            if (u.ultimo_acceso)
            else "nunca"
        )
        print(f"{u.email}\t{'activo' if u.activo else 'desactivado'}\túltimo acceso: {acceso}")
    if not usuarios:
        console.print("No hay usuarios. Crea uno con: smartbilling-crm usuarios crear EMAIL")


@usuarios_app.command("desactivar", cls=ComandoEs)
def usuarios_desactivar(email: Annotated[str, typer.Argument(help="Email de la cuenta")]) -> None:
    """Desactiva una cuenta: no puede entrar y sus sesiones abiertas dejan de valer."""
    from smartbilling_crm.usuarios import service as usuarios_service

    settings = _settings()
    with _unidad(settings) as ctx:
        try:
            usuario, cambiado = usuarios_service.desactivar(ctx.session, email)
        except DomainError as exc:
            _fail(exc.detail)
    if cambiado:
        console.print(f"[green]Usuario desactivado:[/green] {usuario.email}")
    else:
        console.print(f"El usuario {usuario.email} ya estaba desactivado; no se ha cambiado nada.")
