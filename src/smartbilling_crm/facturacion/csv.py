"""Invoice history from CSV: the backfill of `POST /api/facturas/importar`, from a file.

Each row is read with the backfill's own schema (`FacturaIn`) and applied with its own
service, in batches of at most 1000, so the ledger rules are the same (idempotent by
invoice id; a later row for the same invoice updates it). Every row is checked before
anything is written, and the report names each refused row by its line; the caller
commits only when none was refused.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from pydantic import ValidationError
from sqlalchemy.orm import Session

from smartbilling_crm.facturacion import repository as facturas_repo
from smartbilling_crm.facturacion import service as facturas_service
from smartbilling_crm.facturacion.schemas import FacturaIn, fechas_fuera_de_rango
from smartbilling_crm.kit import csv_es
from smartbilling_crm.kit.contexto import Contexto

LOTE = 1000

Progreso = Callable[[int, int], None]

_PARSERS: dict[str, Callable[[str], Any]] = {
    "id": str,
    "numero": str,
    "cliente_id": str,
    "cif_nif": str,
    "fecha_emision": csv_es.leer_fecha,
    "fecha_vencimiento": csv_es.leer_fecha,
    "base_imponible": csv_es.leer_decimal,
    "total": csv_es.leer_decimal,
    "moneda": str,
    "fecha_pago": csv_es.leer_fecha,
    "anulada": csv_es.leer_booleano,
}
COLUMNAS = tuple(_PARSERS)


def _leer_fila(fila: csv_es.Fila) -> FacturaIn | str:
    """The row as the backfill's invoice, or why it is not one."""
    if fila.error:
        return fila.error
    valores: dict[str, Any] = {}
    errores: dict[str, str] = {}
    for columna, celda in fila.celdas.items():
        if not celda:
            continue
        try:
            valores[columna] = _PARSERS[columna](celda)
        except ValueError as exc:
            errores[columna] = f"{columna}: {exc}"
    try:
        factura = FacturaIn.model_validate(valores)
    except ValidationError as exc:
        # Every problem of the row at once, a cell that could not be read once.
        otros = csv_es.motivos(exc, omitir=errores)
        return "; ".join([*errores.values(), *([otros] if otros else [])])
    return "; ".join(errores.values()) if errores else factura


def importar(
    ctx: Contexto,
    texto_csv: str,
    *,
    progreso: Progreso | None = None,
) -> csv_es.InformeImportacion:
    """Check every row, then, if none was refused, apply them all in batches.

    Raises `csv_es.ArchivoNoValido` when the file cannot be read at all.
    """
    filas = list(csv_es.leer(texto_csv, COLUMNAS))
    informe = csv_es.InformeImportacion(filas=len(filas))
    facturas: list[FacturaIn] = []
    duena: dict[str, tuple[str, int]] = {}  # invoice id -> (client id, first line)
    for fila in filas:
        leida = _leer_fila(fila)
        if isinstance(leida, str):
            informe.rechazos.append(csv_es.Rechazo(fila.linea, leida))
            continue
        motivo = _comprobar(ctx.session, leida, fila.linea, duena, ctx.hoy)
        if motivo:
            informe.rechazos.append(csv_es.Rechazo(fila.linea, motivo))
            continue
        facturas.append(leida)
    if informe.rechazos:
        return informe
    for inicio in range(0, len(facturas), LOTE):
        lote = facturas[inicio : inicio + LOTE]
        resultado = facturas_service.importar(ctx, lote)
        informe.nuevos += resultado.nuevas
        informe.actualizados += resultado.actualizadas
        informe.sin_cambios += resultado.sin_cambios
        if progreso is not None:
            progreso(inicio + len(lote), len(facturas))
    return informe


def _comprobar(
    session: Session,
    factura: FacturaIn,
    linea: int,
    duena: dict[str, tuple[str, int]],
    hoy: date,
) -> str | None:
    """The checks the backfill would fail on, made per row so each gets its line."""
    if fechas := fechas_fuera_de_rango(factura, hoy):
        return "; ".join(mensaje for _campo, mensaje in fechas)
    cliente_id = facturas_repo.find_cliente_id(session, factura.cliente_id, factura.cif_nif)
    if cliente_id is None:
        return f"cliente desconocido: {factura.cliente_no_encontrado()}"
    anterior = duena.get(factura.id)
    if anterior is None:
        guardada = facturas_repo.get(session, factura.id)
        if guardada is not None and guardada.cliente_id != cliente_id:
            return (
                f"la factura '{factura.id}' ya está registrada para otro cliente "
                f"('{guardada.cliente_id}')"
            )
        duena[factura.id] = (cliente_id, linea)
    elif anterior[0] != cliente_id:
        return (
            f"la factura '{factura.id}' es de otro cliente en la línea {anterior[1]} "
            f"('{anterior[0]}')"
        )
    return None
