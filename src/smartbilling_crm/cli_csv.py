"""`smartbilling-crm exportar-clientes`, `importar-clientes` and `importar-facturas`: the
CSV files a spreadsheet opens, in and out."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from pydantic import ValidationError

from smartbilling_crm.cli import _e, _fail, _progreso, _settings, _unidad, console
from smartbilling_crm.kit.formato import cantidad

if TYPE_CHECKING:
    from smartbilling_crm.kit import csv_es


def exportar_clientes(
    destino: Annotated[
        str, typer.Argument(help="Fichero CSV que se crea, o - para la salida estándar")
    ],
    estado: Annotated[str | None, typer.Option(help="Solo este estado, p. ej. vip")] = None,
    sector: Annotated[str | None, typer.Option(help="Solo este sector")] = None,
    riesgo_impago: Annotated[
        str | None, typer.Option(help="Solo este riesgo: bajo, medio, alto, critico")
    ] = None,
    q: Annotated[str | None, typer.Option(help="Busca en nombre, email y CIF/NIF")] = None,
) -> None:
    """Exporta los clientes, con sus columnas de salud, a un CSV que Excel abre tal cual.

    UTF-8 con BOM, separador ';' y coma decimal.
    """
    from smartbilling_crm.clientes import csv as csv_clientes
    from smartbilling_crm.kit import ficheros
    from smartbilling_crm.kit.schemas import EstadoClienteIn, RiesgoImpagoIn

    settings = _settings()
    # Checked as the API checks GET /api/clientes/exportar.csv: a misspelt filter is an
    # error, not an empty file.
    filtro = csv_clientes.FiltroExportacion(
        estado=_opcion("--estado", EstadoClienteIn, estado),
        sector=sector,
        riesgo_impago=_opcion("--riesgo-impago", RiesgoImpagoIn, riesgo_impago),
        q=q,
    )
    with _unidad(settings) as ctx:
        if destino == "-":
            for chunk in csv_clientes.exportar(ctx, filtro):
                sys.stdout.write(chunk)
            sys.stdout.flush()
            return
        try:
            salida = ficheros.crear_nuevo(Path(destino))
        except ficheros.FicheroNoAdmitido as exc:
            _fail(str(exc))
        except OSError as exc:
            _fail(f"no se pudo escribir {destino}: {ficheros.motivo(exc)}")
        try:
            with salida as fichero, _progreso("Exportando clientes") as avance:
                for chunk in csv_clientes.exportar(ctx, filtro, progreso=avance):
                    fichero.write(chunk)
        except OSError as exc:
            _fail(f"no se pudo escribir {destino}: {ficheros.motivo(exc)}")
        total = csv_clientes.contar(ctx.session, filtro)
    console.print(
        f"[green]{cantidad(total, 'cliente exportado', 'clientes exportados')}[/green] "
        f"a {_e(destino)}."
    )


SimularOpt = Annotated[
    bool,
    typer.Option(
        "--simular",
        "--dry-run",
        help="Comprueba el fichero y dice qué haría, sin guardar nada",
    ),
]


def importar_clientes(
    fichero: Annotated[Path, typer.Argument(help="CSV con una fila por cliente")],
    simular: SimularOpt = False,
) -> None:
    """Crea o actualiza clientes desde un CSV; todo o nada.

    Separador ';' o ','; coma o punto decimal. Cada fila se busca por id, si no por
    CIF/NIF, si no por email: si existe se actualiza, si no se crea. Una celda vacía no
    cambia nada. Si alguna fila se rechaza, no se guarda ninguna y se lista cada rechazo
    con su línea y su motivo.
    """
    from smartbilling_crm.clientes import csv as csv_clientes

    informe = _importar_csv(fichero, simular, "Importando clientes", csv_clientes.importar)
    _resumen(informe, simular, ("cliente nuevo", "clientes nuevos"), "actualizado")


def importar_facturas(
    fichero: Annotated[Path, typer.Argument(help="CSV con una fila por factura")],
    simular: SimularOpt = False,
) -> None:
    """Carga el historial de facturas desde un CSV; todo o nada.

    Con las reglas de POST /api/facturas/importar: columnas id, numero, cliente_id o
    cif_nif, fecha_emision, fecha_vencimiento, base_imponible, total, fecha_pago y anulada
    (sí/no). Importar dos veces el mismo fichero no cambia nada. Si alguna fila se
    rechaza, no se guarda ninguna y se lista cada rechazo con su línea.
    """
    from smartbilling_crm.facturacion import csv as csv_facturas

    informe = _importar_csv(fichero, simular, "Importando facturas", csv_facturas.importar)
    _resumen(informe, simular, ("factura nueva", "facturas nuevas"), "actualizada")


class _Deshacer(Exception):
    """Raised inside a unit of work to roll it back on purpose (dry run, refused rows)."""


def _importar_csv(
    fichero: Path, simular: bool, titulo: str, importar: Callable[..., csv_es.InformeImportacion]
) -> csv_es.InformeImportacion:
    """Run one CSV import as a single unit of work, kept only when every row is accepted
    and it is not a dry run; list the refused rows."""
    from smartbilling_crm.kit import csv_es

    settings = _settings()
    texto = _leer_csv(fichero)
    try:
        with _unidad(settings) as ctx, _progreso(titulo) as avance:
            informe = importar(ctx, texto, progreso=avance)
            if simular or not informe.correcto:
                raise _Deshacer
    except _Deshacer:
        pass  # rolled back on purpose: a dry run, or some row was refused
    except csv_es.ArchivoNoValido as exc:
        _fail(f"{fichero}: {exc}")
    _informar_rechazos(informe.rechazos)
    return informe


def _leer_csv(fichero: Path) -> str:
    from smartbilling_crm.kit import csv_es, ficheros

    try:
        return csv_es.decodificar(ficheros.leer_limitado(fichero))
    except ficheros.FicheroNoAdmitido as exc:
        _fail(str(exc))
    except FileNotFoundError:
        _fail(f"no existe el fichero {fichero}")
    except OSError as exc:
        _fail(f"no se pudo leer {fichero}: {ficheros.motivo(exc)}")


MAX_RECHAZOS_MOSTRADOS = 100


def _informar_rechazos(rechazos: list[csv_es.Rechazo]) -> None:
    for rechazo in rechazos[:MAX_RECHAZOS_MOSTRADOS]:
        console.print(f"[red]Rechazada[/red] {_e(str(rechazo))}")
    if len(rechazos) > MAX_RECHAZOS_MOSTRADOS:
        resto = len(rechazos) - MAX_RECHAZOS_MOSTRADOS
        console.print(f"... y {cantidad(resto, 'fila rechazada', 'filas rechazadas')} más.")


def _resumen(
    informe: csv_es.InformeImportacion,
    simular: bool,
    nuevos: tuple[str, str],
    actualizado: str,
) -> None:
    """The import's outcome in one line: its rows, the new records (`nuevos`: singular and
    plural), the updated ones (`actualizado`, of the records' gender) and the unchanged."""
    resumen = (
        f"{cantidad(informe.filas, 'fila', 'filas')}: "
        f"{cantidad(informe.nuevos, *nuevos)}, "
        f"{cantidad(informe.actualizados, actualizado, actualizado + 's')}, "
        f"{informe.sin_cambios} sin cambios"
    )
    if not informe.correcto:
        console.print(
            "[red]No se ha guardado nada:[/red] "
            f"{cantidad(len(informe.rechazos), 'fila rechazada', 'filas rechazadas')}. "
            f"{'Corrígela' if len(informe.rechazos) == 1 else 'Corrígelas'} y vuelve a "
            f"importar el fichero. ({resumen})"
        )
        raise typer.Exit(1)
    if simular:
        console.print(f"[yellow]Simulación, no se ha guardado nada:[/yellow] {resumen}.")
    else:
        console.print(f"[green]Importación hecha:[/green] {resumen}.")


def _opcion(nombre: str, tipo: Any, valor: str | None) -> str | None:
    """An option's value validated with the API's own type (its accepted spellings, its
    Spanish message); exit 2 when it is not one of them."""
    if valor is None:
        return None
    from pydantic import TypeAdapter

    from smartbilling_crm.kit.errores import mensaje_es

    try:
        return str(TypeAdapter(tipo).validate_python(valor))
    except ValidationError as exc:
        _fail(f"{nombre} {valor!r}: " + mensaje_es(exc.errors()[0]))
