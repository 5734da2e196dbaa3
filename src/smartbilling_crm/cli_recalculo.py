"""`smartbilling-crm recalcular`: the daily recompute, batch by batch, resumable."""

from __future__ import annotations

from concurrent.futures.process import BrokenProcessPool
from datetime import UTC, datetime
from typing import Annotated

import typer

from smartbilling_crm.cli import _fabrica, _fail, _progreso, _settings, console
from smartbilling_crm.kit.formato import cantidad
from smartbilling_crm.salud.procesos import PROCESOS_MAXIMOS, procesos_por_defecto


def recalcular(
    lote: Annotated[int, typer.Option(min=1, max=10_000, help="Clientes por lote")] = 1000,
    desde_cero: Annotated[
        bool,
        typer.Option(
            "--desde-cero",
            help="Empieza de nuevo aunque haya un recálculo de hoy interrumpido a medias",
        ),
    ] = False,
    procesos: Annotated[
        int,
        typer.Option(
            min=0,
            max=32,
            help="Procesos que leen y puntúan lotes mientras este guarda los anteriores "
            f"(0: uno por núcleo, hasta {PROCESOS_MAXIMOS}; 1: todo en este proceso)",
        ),
    ] = 0,
) -> None:
    """Recalcula a fecha de hoy la salud, el estado y las alertas de todos los clientes.

    Por lotes que se confirman uno a uno: la API y los webhooks siguen atendiendo. Si se
    interrumpe, al lanzarlo otra vez el mismo día sigue tras el último lote confirmado
    (--desde-cero para repetirlo entero). Dos recálculos a la vez: el segundo se niega
    (código de salida 2). Con varios núcleos, otros procesos puntúan los lotes siguientes
    mientras se guarda cada uno (--procesos).

    Para un cron diario, poco después de medianoche en Madrid (servidor en UTC):
    5 23 * * *  cd /srv/smartbilling-crm && .venv/bin/smartbilling-crm recalcular
    """
    from smartbilling_crm.salud import recalculo  # the engines: imported to run, not for --help

    settings = _settings()
    if procesos == 0:
        procesos = procesos_por_defecto()
    with _fabrica(settings) as factory, _progreso("Recalculando clientes") as avance:
        try:
            resultado = recalculo.recalcular_todos(
                factory,
                settings,
                datetime.now(UTC),
                lote=lote,
                progreso=avance,
                desde_cero=desde_cero,
                procesos=procesos,
                proceso_dedicado=True,
            )
        except recalculo.RecalculoEnCursoError as exc:
            _fail(exc.detail)
        except BrokenProcessPool as exc:
            _fail(
                f"Un proceso de cálculo terminó de forma inesperada ({exc}). Los lotes ya "
                "confirmados se conservan: lanza otra vez el recálculo para seguir desde "
                "ahí, o usa --procesos 1."
            )
    reanudado = " (reanudado tras el último lote confirmado)" if resultado.reanudado else ""
    console.print(
        f"[green]{cantidad(resultado.clientes, 'cliente recalculado', 'clientes recalculados')}"
        "[/green] "
        f"(a fecha {resultado.fecha_calculo:%d/%m/%Y}){reanudado}."
    )
