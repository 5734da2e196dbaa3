"""Clients to and from CSV: the export with health columns and the create-or-update import.

The import applies every row through the clients service, so a row obeys exactly the
API's rules, and reports each refused row by its line. It is all or nothing: the caller
commits only when no row was refused (and never in a dry run). A file exported here and
imported back changes nothing: computed columns are ignored, empty cells leave the stored
value as it is, and a row equal to the stored client is not written at all.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from pydantic import ValidationError
from sqlalchemy.orm import Session

from smartbilling_crm.clientes import repository as clientes_repo
from smartbilling_crm.clientes import service as clientes_service
from smartbilling_crm.clientes.schemas import ClienteCreate, ClienteUpdate
from smartbilling_crm.config import Settings
from smartbilling_crm.dominio import EstadoCliente
from smartbilling_crm.kit import csv_es
from smartbilling_crm.kit import repository as base_repo
from smartbilling_crm.kit.contexto import Contexto
from smartbilling_crm.kit.db import instantanea
from smartbilling_crm.kit.excepciones import DomainError
from smartbilling_crm.kit.validators import (
    canonical_email,
    compact_tax_id,
    fold,
    normalise_email,
)
from smartbilling_crm.models import Cliente, SaludCliente

LOTE_EXPORTACION = 1000

Progreso = Callable[[int, int], None]

# ---------------------------------------------------------------- columns

# Editable columns: (CSV header = wire name, attribute, parser of the cell).
_EDITABLES: tuple[tuple[str, str, Callable[[str], Any]], ...] = (
    ("id", "id", str),
    ("nombre_empresa", "nombre_empresa", str),
    ("email", "email", str),
    ("cif_nif", "cif_nif", str),
    ("telefono", "telefono", str),
    ("direccion", "direccion", str),
    ("ciudad", "ciudad", str),
    ("comunidad_autonoma", "comunidad_autonoma", str),
    ("sector_industria", "sector_industria", str),
    ("segmento", "segmento", str),
    ("tamaño_empresa", "tamano_empresa", str),
    ("numero_empleados", "numero_empleados", csv_es.leer_entero),
    ("web_empresa", "web_empresa", str),
    ("linkedin", "linkedin", str),
    ("margen_promedio", "margen_promedio", csv_es.leer_decimal),
    ("fecha_primer_contacto", "fecha_primer_contacto", csv_es.leer_fecha_hora),
    ("notas", "notas", str),
)
# Exported for reading; ignored on import (the system computes them). `estado` is read
# only when it says `cliente_perdido`, the one state set by hand.
_CALCULADAS = (
    "estado",
    "cif_nif_valido",
    "ltv",
    "riesgo_impago",
    "fecha_primera_compra",
    "fecha_última_compra",
    "salud_general",
    "riesgo_perdida_score",
    "dias_sin_actividad",
    "dias_promedio_para_pagar",
    "porcentaje_pagos_a_tiempo",
    "facturas_vencidas",
    "importe_vencido",
    "importe_pendiente",
    "saldo_a_favor",
    "dias_medios_de_retraso",
    "probabilidad_pago_tardio",
    "ingresos_esperados_30_dias",
    "ingresos_esperados_90_dias",
    "fecha_proxima_factura_esperada",
    "fecha_calculo",
    "fecha_creacion",
    "fecha_actualizacion",
)
_ATRIBUTO = {csv_es.nombre_columna(cabecera): attr for cabecera, attr, _ in _EDITABLES}
_PARSER = {csv_es.nombre_columna(cabecera): parse for cabecera, _, parse in _EDITABLES}
_CABECERA_DE = {attr: cabecera for cabecera, attr, _ in _EDITABLES}
COLUMNAS = (*(c for c, _, _ in _EDITABLES[:4]), *_CALCULADAS, *(c for c, _, _ in _EDITABLES[4:]))


# ---------------------------------------------------------------- export


@dataclass(frozen=True)
class FiltroExportacion:
    estado: str | None = None
    sector: str | None = None
    riesgo_impago: str | None = None
    q: str | None = None
    # In the list's order (`clientes.repository`'s sorts); by company name unless given.
    ordenar_por: str = "nombre_empresa"
    descendente: bool = False


def _fila(cliente: Cliente, salud: SaludCliente | None, settings: Settings) -> list[str]:
    tz = settings.tz
    t = csv_es.texto
    valores: dict[str, str] = {
        "id": t(cliente.id),
        "nombre_empresa": t(cliente.nombre_empresa),
        "email": t(cliente.email),
        "cif_nif": t(cliente.cif_nif),
        "telefono": t(cliente.telefono),
        "direccion": t(cliente.direccion),
        "ciudad": t(cliente.ciudad),
        "comunidad_autonoma": t(cliente.comunidad_autonoma),
        "sector_industria": t(cliente.sector_industria),
        "segmento": t(cliente.segmento),
        "tamaño_empresa": t(cliente.tamano_empresa),
        "numero_empleados": csv_es.numero(cliente.numero_empleados),
        "web_empresa": t(cliente.web_empresa),
        "linkedin": t(cliente.linkedin),
        "margen_promedio": csv_es.dinero(cliente.margen_promedio),
        "fecha_primer_contacto": csv_es.fecha_hora(cliente.fecha_primer_contacto, tz),
        "notas": t(cliente.notas),
        "estado": cliente.estado,
        "cif_nif_valido": csv_es.booleano(cliente.cif_nif_valido),
        "ltv": csv_es.dinero(cliente.ltv),
        "riesgo_impago": cliente.riesgo_impago,
        "fecha_primera_compra": csv_es.fecha_iso(cliente.fecha_primera_compra),
        "fecha_última_compra": csv_es.fecha_iso(cliente.fecha_ultima_compra),
        "fecha_creacion": csv_es.fecha_hora(cliente.fecha_creacion, tz),
        "fecha_actualizacion": csv_es.fecha_hora(cliente.fecha_actualizacion, tz),
    }
    if salud is not None:
        valores.update(
            {
                "salud_general": salud.salud_general,
                "riesgo_perdida_score": csv_es.numero(salud.riesgo_perdida_score),
                "dias_sin_actividad": csv_es.numero(salud.dias_sin_actividad),
                "dias_promedio_para_pagar": csv_es.numero(salud.dias_promedio_para_pagar, 1)
                if salud.dias_promedio_para_pagar is not None
                else "",
                "porcentaje_pagos_a_tiempo": csv_es.numero(salud.porcentaje_pagos_a_tiempo, 1),
                "facturas_vencidas": csv_es.numero(salud.facturas_vencidas),
                "importe_vencido": csv_es.dinero(salud.importe_vencido),
                "importe_pendiente": csv_es.dinero(salud.importe_pendiente),
                "saldo_a_favor": csv_es.dinero(salud.saldo_a_favor),
                "dias_medios_de_retraso": csv_es.numero(salud.dias_medios_de_retraso, 1),
                "probabilidad_pago_tardio": csv_es.numero(salud.probabilidad_pago_tardio, 3),
                "ingresos_esperados_30_dias": csv_es.dinero(salud.ingresos_esperados_30_dias),
                "ingresos_esperados_90_dias": csv_es.dinero(salud.ingresos_esperados_90_dias),
                "fecha_proxima_factura_esperada": csv_es.fecha_iso(
                    salud.fecha_proxima_factura_esperada
                ),
                "fecha_calculo": csv_es.fecha_iso(salud.fecha_calculo),
            }
        )
    return [valores.get(columna, "") for columna in COLUMNAS]


def contar(session: Session, filtro: FiltroExportacion) -> int:
    """How many clients the export will hold."""
    return clientes_repo.list_page(session, _filtro_repo(filtro, 0, 1))[1]


def _filtro_repo(filtro: FiltroExportacion, skip: int, limit: int) -> clientes_repo.FiltroClientes:
    return clientes_repo.FiltroClientes(
        skip=skip,
        limit=limit,
        estado=filtro.estado,
        sector=filtro.sector,
        riesgo_impago=filtro.riesgo_impago,
        q=filtro.q,
        ordenar_por=filtro.ordenar_por,
        descendente=filtro.descendente,
    )


def exportar(
    ctx: Contexto,
    filtro: FiltroExportacion,
    *,
    progreso: Progreso | None = None,
) -> Iterator[str]:
    """The clients (with their stored health columns) as CSV chunks, in the filter's order
    (by company name unless it says otherwise)."""

    def filas() -> Iterator[list[str]]:
        # Pages by offset, all read in one snapshot: a write that moves a client in the
        # order between two pages (every invoice event moves it to the top of "last
        # modified") would otherwise make it skip one client and repeat another.
        with contextlib.ExitStack() as pila:
            session = pila.enter_context(instantanea(ctx.factory)) if ctx.factory else ctx.session
            hecho, skip = 0, 0
            while True:
                pagina, total = clientes_repo.list_page(
                    session, _filtro_repo(filtro, skip, LOTE_EXPORTACION)
                )
                for cliente, salud in pagina:
                    yield _fila(cliente, salud, ctx.settings)
                hecho += len(pagina)
                if progreso is not None:
                    progreso(hecho, total)
                if len(pagina) < LOTE_EXPORTACION:
                    return
                skip += LOTE_EXPORTACION
                session.expunge_all()  # keep memory flat on a large portfolio

    return csv_es.escribir(COLUMNAS, filas())


# ---------------------------------------------------------------- import


def _valores(celdas: dict[str, str]) -> tuple[dict[str, Any], dict[str, str]]:
    """The row's non-empty editable cells, parsed; and why those that could not be
    were not, by attribute."""
    valores: dict[str, Any] = {}
    errores: dict[str, str] = {}
    for columna, celda in celdas.items():
        if not celda:
            continue  # an empty cell leaves the stored value as it is
        if columna == "estado":
            if fold(celda) == EstadoCliente.CLIENTE_PERDIDO:
                valores["estado"] = EstadoCliente.CLIENTE_PERDIDO
            continue
        attr = _ATRIBUTO.get(columna)
        if attr is None:
            continue  # a computed column: exported to read, ignored on import
        try:
            valores[attr] = _PARSER[columna](celda)
        except ValueError as exc:
            errores[attr] = f"{_CABECERA_DE[attr]}: {exc}"
    return valores, errores


def _otros_motivos(valores: dict[str, Any], errores: dict[str, str]) -> list[str]:
    """What else is wrong with a row some of whose cells could not be read, as the fields'
    own checks say (a bad email next to a bad date): the row is refused either way, and
    the owner fixes it once. Checked as an update (nothing is required)."""
    try:
        ClienteUpdate.model_validate({k: v for k, v in valores.items() if k != "id"})
    except ValidationError as exc:
        return [m for m in [csv_es.motivos(exc, _CABECERA_DE, omitir=errores)] if m]
    return []


def _clave(valores: dict[str, Any]) -> dict[str, str]:
    """The row's identifying values, normalised as stored, to find the client and spot
    rows repeated in the file."""
    claves: dict[str, str] = {}
    if valores.get("id"):
        claves["id"] = str(valores["id"])
    if valores.get("cif_nif"):
        claves["cif_nif"] = compact_tax_id(str(valores["cif_nif"]))
    if valores.get("email"):
        try:
            claves["email"] = normalise_email(str(valores["email"]))
        except ValueError:
            # Kept as written so the row is still identified; the schema reports the error.
            claves["email"] = canonical_email(str(valores["email"]))
    return claves


def _buscar(session: Session, claves: dict[str, str]) -> Cliente | None:
    """The stored client the row speaks of: by id, else CIF/NIF, else email.

    A row whose id names no client while its CIF/NIF or email is another client's is
    ambiguous and refused, rather than guessing which one is meant.
    """
    if "id" in claves:
        cliente = base_repo.get(session, Cliente, claves["id"])
        if cliente is not None:
            return cliente
    otro = None
    if "cif_nif" in claves:
        otro = clientes_repo.get_by_cif_nif(session, claves["cif_nif"])
    if otro is None and "email" in claves:
        otro = clientes_repo.get_by_email(session, claves["email"])
    if otro is not None and "id" in claves:
        raise DomainError(
            f"no hay ningún cliente con id '{claves['id']}', pero su CIF/NIF o email es del "
            f"cliente '{otro.id}'; corrige el id o deja la celda vacía"
        )
    return otro


def _igual(actual: Any, nuevo: Any) -> bool:
    if isinstance(actual, datetime) and isinstance(nuevo, datetime):
        # The export writes seconds: a file read back must not move the stored instant.
        return abs((actual - nuevo).total_seconds()) < 1
    if isinstance(actual, Decimal) or isinstance(nuevo, Decimal):
        return actual is not None and nuevo is not None and Decimal(actual) == Decimal(nuevo)
    if isinstance(nuevo, Enum):
        nuevo = nuevo.value
    return bool(actual == nuevo)


def _importar_fila(ctx: Contexto, valores: dict[str, Any]) -> str:
    """Create or update one client; 'creado', 'actualizado' or 'sin_cambios'."""
    cliente = _buscar(ctx.session, _clave(valores))
    if cliente is None:
        datos = ClienteCreate.model_validate({k: v for k, v in valores.items() if k != "estado"})
        creado = clientes_service.registrar(ctx, datos)
        if valores.get("estado") == EstadoCliente.CLIENTE_PERDIDO:
            perdido = ClienteUpdate(estado=EstadoCliente.CLIENTE_PERDIDO)
            clientes_service.modificar(ctx, creado.id, perdido)
        return "creado"
    cambios = ClienteUpdate.model_validate({k: v for k, v in valores.items() if k != "id"})
    distintos = {
        nombre: valor
        for nombre, valor in cambios.model_dump(exclude_unset=True).items()
        if not _igual(getattr(cliente, nombre), valor)
    }
    if not distintos:
        return "sin_cambios"
    clientes_service.modificar(ctx, cliente.id, ClienteUpdate.model_validate(distintos))
    return "actualizado"


def importar(
    ctx: Contexto,
    texto_csv: str,
    *,
    progreso: Progreso | None = None,
) -> csv_es.InformeImportacion:
    """Create or update every row's client; the report says what happened to each.

    Writes go to `ctx.session`; the caller commits only when `informe.correcto`.
    Raises `csv_es.ArchivoNoValido` when the file cannot be read at all.
    """
    filas = list(csv_es.leer(texto_csv, [*(c for c, _, _ in _EDITABLES), *_CALCULADAS]))
    informe = csv_es.InformeImportacion(filas=len(filas))
    vistas: dict[tuple[str, str], int] = {}  # (key, value) -> first line that used it
    for hecho, fila in enumerate(filas, start=1):
        motivo = fila.error or _procesar(ctx, fila, vistas, informe)
        if motivo:
            informe.rechazos.append(csv_es.Rechazo(fila.linea, motivo))
        if progreso is not None:
            progreso(hecho, len(filas))
    return informe


def _procesar(
    ctx: Contexto,
    fila: csv_es.Fila,
    vistas: dict[tuple[str, str], int],
    informe: csv_es.InformeImportacion,
) -> str | None:
    """Apply one row; the reason it was refused, or None."""
    valores, errores = _valores(fila.celdas)
    if errores:
        return "; ".join([*errores.values(), *_otros_motivos(valores, errores)])
    claves = _clave(valores)
    if not claves:
        return "falta id, cif_nif o email para saber de qué cliente se trata"
    for clave, valor in claves.items():
        anterior = vistas.get((clave, valor))
        if anterior is not None:
            return f"{clave} '{valor}' repetido: ya aparece en la línea {anterior}"
    for clave, valor in claves.items():
        vistas[(clave, valor)] = fila.linea
    try:
        # A savepoint per row: a refused row leaves nothing behind, the others go on.
        with ctx.session.begin_nested():
            resultado = _importar_fila(ctx, valores)
    except ValidationError as exc:
        return csv_es.motivos(exc, _CABECERA_DE)
    except DomainError as exc:
        return exc.detail
    if resultado == "creado":
        informe.nuevos += 1
    elif resultado == "actualizado":
        informe.actualizados += 1
    else:
        informe.sin_cambios += 1
    return None
