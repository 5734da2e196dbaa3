"""`smartbilling-crm backup`: a consistent copy of the database while the server runs."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from smartbilling_crm.cli import _e, _exigir_base, _fail, _progreso, _settings, console
from smartbilling_crm.kit.formato import decimal1


def backup(
    destino: Annotated[Path, typer.Argument(help="Fichero de la copia (no debe existir)")],
) -> None:
    """Hace una copia consistente de la base de datos sin parar el servidor.

    SQLite: con la API de copia en caliente de SQLite. PostgreSQL: con pg_dump (formato
    custom; se restaura con pg_restore).
    """
    from smartbilling_crm.ops import copias

    settings = _settings()
    _exigir_base(settings)
    try:
        copias.comprobar_destino(destino)  # refused before any progress bar is drawn
        with _progreso("Copiando la base de datos") as avance:
            resultado = copias.copiar(settings.database_url, destino, progreso=avance)
    except copias.CopiaError as exc:
        _fail(str(exc))
    metodo = "copia en caliente de SQLite" if resultado.metodo == "sqlite-backup" else "pg_dump"
    console.print(
        f"[green]Copia hecha[/green] en {_e(str(resultado.destino))} "
        f"({decimal1(round(resultado.bytes / 1_048_576, 1))} MiB, con {metodo})."
    )
    if resultado.metodo == "pg_dump":
        restaurar = " ".join(copias.comando_pg_restore(settings.database_url, destino))
        console.print(f"Para restaurarla en una base de datos vacía: {_e(restaurar)}")
    else:
        console.print(
            "Para restaurarla: para el servidor, sustituye el fichero de la base de datos por "
            "la copia (y borra sus -wal y -shm si quedaron) y arráncalo de nuevo."
        )
