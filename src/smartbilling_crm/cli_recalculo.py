"""`smartbilling-crm recalcular`: the daily recompute, batch by batch, resumable."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer

from smartbilling_crm.cli import _fabrica, _fail, _progreso, _settings, console
from smartbilling_crm.salud import recalculo


def recalcular(
    lote: Annotated[int, typer.Option(min=1, max=10_000, help="Clientes por lote")] = 1000,
    desde_cero: Annotated[
        bool,
        typer.Option(
            "--desde-cero",
            help="Empieza de nuevo aunque haya un recálculo de hoy interrumpido a medias",
        ),
    ] = False,
) -> None:
    """Recalcula a fecha de hoy la salud, el estado y las alertas de todos los clientes.

    Por lotes que se confirman uno a uno: la API y los webhooks siguen atendiendo. Si se
    interrumpe, al lanzarlo otra vez el mismo día sigue tras el último lote confirmado
    (--desde-cero para repetirlo entero). Dos recálculos a la vez: el segundo se niega
    (código de salida 2).

    Para un cron diario, p. ej.: 15 6 * * *  cd /srv/crm && .venv/bin/smartbilling-crm recalcular
    """
    settings = _settings()
    with _fabrica(settings) as factory, _progreso("Recalculando clientes") as avance:
        try:
            resultado = recalculo.recalcular_todos(
                factory,
                settings,
                datetime.now(UTC),
                lote=lote,
                progreso=avance,
                desde_cero=desde_cero,
            )
        except recalculo.RecalculoEnCursoError as exc:
            _fail(exc.detail)
    reanudado = " (reanudado tras el último lote confirmado)" if resultado.reanudado else ""
    console.print(
        f"[green]{resultado.clientes} clientes recalculados[/green] "
        f"(a fecha {resultado.fecha_calculo:%d/%m/%Y}){reanudado}."
    )
