"""`smartbilling-crm verificar-cartera`: the dashboard's running totals against the rows."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated

import typer

from smartbilling_crm.cli import _e, _fabrica, _fail, _settings, console

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker


def verificar_cartera(
    reparar: Annotated[
        bool,
        typer.Option("--reparar", help="Corrige los totales que no cuadran con las filas"),
    ] = False,
) -> None:
    """Comprueba que los totales del panel y del dashboard cuadran con las filas.

    Los totales: clientes por estado, ingresos esperados, alertas, embudo, deuda por
    vencimiento y próximas facturas, frente a las filas de las que salen.

    Los mantienen los triggers de la base de datos en cada escritura; solo se descuadran
    si algo escribe sin ellos (un TRUNCATE en PostgreSQL, una restauración parcial, un
    trigger borrado a mano). Sin --reparar no cambia nada y sale con código 1 si hay
    diferencias; con --reparar suma a cada total lo que le falta, sin parar el servidor.
    """
    from smartbilling_crm.cartera import contadores
    from smartbilling_crm.kit.db import instantanea, transaction

    settings = _settings()
    with _fabrica(settings) as factory, _un_reparador(factory, reparar):
        with instantanea(factory) as session:
            resultado = contadores.verificar(session)
        if resultado.pendientes:
            console.print(
                f"[yellow]Aviso[/yellow]: {resultado.pendientes} cambios de los totales siguen "
                "en contadores_pendientes sin sumarse: ¿está desactivado el trigger "
                "crm_contadores_plegar? Se cuentan como ya sumados."
            )
        if not resultado.diferencias:
            console.print(
                f"[green]Los totales cuadran[/green] con las filas "
                f"({resultado.contadores} totales comprobados)."
            )
            return
        console.print(
            f"[yellow]{len(resultado.diferencias)} de {resultado.contadores} totales no "
            "cuadran[/yellow] con las filas:"
        )
        for diferencia in resultado.diferencias:
            console.print(f"  {_e(diferencia.describir())}")
        if not reparar:
            console.print("Para corregirlos: smartbilling-crm verificar-cartera --reparar")
            raise typer.Exit(1)
        with transaction(factory) as session:
            contadores.corregir(session, resultado.diferencias)
        with instantanea(factory) as session:
            despues = contadores.verificar(session)
    if despues.diferencias:
        console.print(
            f"[red]Tras corregirlos, {len(despues.diferencias)} siguen sin cuadrar[/red] "
            "(algo escribe sin los triggers): revisa los triggers de la base de datos."
        )
        raise typer.Exit(1)
    console.print(f"[green]Corregidos[/green]: {len(resultado.diferencias)} totales.")


@contextmanager
def _un_reparador(factory: sessionmaker[Session], reparar: bool) -> Iterator[None]:
    """Two repairs at once would each add the difference they found: one at a time."""
    from smartbilling_crm.kit.db import CARTERA_LOCK_KEY, OcupadoError, cerrojo_exclusivo

    if not reparar:
        yield
        return
    try:
        with cerrojo_exclusivo(factory.kw["bind"], CARTERA_LOCK_KEY, "verificar-cartera"):
            yield
    except OcupadoError:
        _fail("Ya hay otro verificar-cartera --reparar en curso; espera a que termine.")
