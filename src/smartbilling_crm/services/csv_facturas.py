"""Invoice history from CSV: the backfill of `POST /api/facturas/importar`, from a file.

Each row is read with the backfill's own schema (`FacturaIn`) and applied with its own
service, in batches of at most 1000, so the ledger rules are the same (idempotent by
invoice id; a later row for the same invoice updates it). Every row is checked before
anything is written, and the report names each refused row by its line; the caller
commits only when none was refused.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy.orm import Session

from ..config import Settings
from ..repositories import facturas as facturas_repo
from ..schemas.facturas import FacturaIn
from . import csv_es
from . import facturas as facturas_service

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


@dataclass
class InformeFacturas:
    filas: int = 0
    nuevas: int = 0
    actualizadas: int = 0
    sin_cambios: int = 0
    clientes_afectados: int = 0
    rechazos: list[csv_es.Rechazo] = field(default_factory=list)

    @property
    def correcto(self) -> bool:
        return not self.rechazos


def _leer_fila(fila: csv_es.Fila) -> FacturaIn | str:
    """The row as the backfill's invoice, or why it is not one."""
    if fila.error:
        return fila.error
    valores: dict[str, Any] = {}
    errores = []
    for columna, celda in fila.celdas.items():
        if not celda:
            continue
        try:
            valores[columna] = _PARSERS[columna](celda)
        except ValueError as exc:
            errores.append(f"{columna}: {exc}")
    if errores:
        return "; ".join(errores)
    try:
        return FacturaIn.model_validate(valores)
    except ValidationError as exc:
        return csv_es.motivos(exc)


def importar(
    session: Session,
    texto_csv: str,
    settings: Settings,
    now: datetime,
    *,
    progreso: Progreso | None = None,
) -> InformeFacturas:
    """Check every row, then, if none was refused, apply them all in batches.

    Raises `csv_es.ArchivoNoValido` when the file cannot be read at all.
    """
    filas = list(csv_es.leer(texto_csv, COLUMNAS))
    informe = InformeFacturas(filas=len(filas))
    facturas: list[FacturaIn] = []
    duena: dict[str, tuple[str, int]] = {}  # invoice id -> (client id, first line)
    for fila in filas:
        leida = _leer_fila(fila)
        if isinstance(leida, str):
            informe.rechazos.append(csv_es.Rechazo(fila.linea, leida))
            continue
        motivo = _comprobar(session, leida, fila.linea, duena)
        if motivo:
            informe.rechazos.append(csv_es.Rechazo(fila.linea, motivo))
            continue
        facturas.append(leida)
    if informe.rechazos:
        return informe
    clientes: set[str] = set()
    for inicio in range(0, len(facturas), LOTE):
        lote = facturas[inicio : inicio + LOTE]
        resultado = facturas_service.importar(session, lote, settings, now)
        informe.nuevas += resultado.nuevas
        informe.actualizadas += resultado.actualizadas
        informe.sin_cambios += resultado.sin_cambios
        clientes.update(duena[f.id][0] for f in lote)
        if progreso is not None:
            progreso(inicio + len(lote), len(facturas))
    informe.clientes_afectados = len(clientes)
    return informe


def _comprobar(
    session: Session, factura: FacturaIn, linea: int, duena: dict[str, tuple[str, int]]
) -> str | None:
    """The checks the backfill would fail on, made per row so each gets its line."""
    cliente_id = facturas_repo.find_cliente_id(session, factura.cliente_id, factura.cif_nif)
    if cliente_id is None:
        return (
            f"cliente desconocido: ni cliente_id {factura.cliente_id!r} ni cif_nif "
            f"{factura.cif_nif!r} están en el CRM"
        )
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
