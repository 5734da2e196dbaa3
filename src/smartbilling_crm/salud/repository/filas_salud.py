"""Health rows ready for the driver: what the daily recompute's workers send the process
that stores them.

A health row has some forty columns, and SQLAlchemy turned each of a batch's thousand
rows into the driver's parameters in the storing process, the recompute's one serial
stage: 57 of the 127 ms it took to store a batch under cProfile (the executemany itself,
15). Here each worker applies the columns' own bind processors (their types'
conversion for the dialect: on SQLite JSON to text and dates to ISO text, on psycopg
JSON wrapped for the driver) and sends tuples, which the storing process hands to the
driver as they are, in a statement written once per dialect. Rows written the usual way
(`repository.guardar_salud`, a write's refresh) and these are the same
(`tests/salud/test_filas_salud.py`).
"""

from __future__ import annotations

import itertools
import weakref
from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import Table, select
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session

from smartbilling_crm.models import SaludCliente
from smartbilling_crm.salud.repository import _de as _de_clientes
from smartbilling_crm.salud.repository import filas_del_driver, marca_del_driver

_SALUD = cast(Table, SaludCliente.__table__)
# Every column a health row sets, in a fixed order; the client's id goes last. `version`
# is the statements' own (one more on every write).
COLUMNAS = tuple(c.key for c in _SALUD.columns if c.key not in ("cliente_id", "version"))
# Indexed columns a day often leaves as they were. SQLite rewrites an index's entries for
# every column an UPDATE sets, changed or not (these two have two indexes each, and the
# date a counter trigger): a stored row is updated without those of the two whose value
# is the same. 1,000 rows cost 20 µs each with both, 13 without (SQLite, 100k clients).
ESTABLES = ("riesgo_perdida_score", "fecha_proxima_factura_esperada")
_POSICION_ESTABLES = tuple(COLUMNAS.index(c) for c in ESTABLES)
# The clients' stored rows and those two values, as the driver returns them: compared
# with the prepared rows' (the same driver's parameters: SQLite's text dates, psycopg's
# dates).
_GUARDADAS = select(_SALUD.c.cliente_id, *(_SALUD.c[c] for c in ESTABLES)).where(
    _de_clientes(_SALUD.c.cliente_id)
)

FilaPreparada = tuple[Any, ...]
_FALTA = object()
Procesador = Callable[[Any], Any] | None


class _Dialecto:
    """The processors and statements of one dialect."""

    def __init__(self, dialecto: Dialect) -> None:
        self.procesadores: list[Procesador] = [
            _SALUD.c[c].type.dialect_impl(dialecto).bind_processor(dialecto) for c in COLUMNAS
        ]
        con = [(i, p) for i, p in enumerate(self.procesadores) if p is not None]
        # Days and instants (hashable, few distinct in a batch) are converted once each.
        self.memorizables = [(i, p) for i, p in con if _python(COLUMNAS[i]) in (date, datetime)]
        self.directos = [(i, p) for i, p in con if (i, p) not in self.memorizables]
        marca = marca_del_driver(dialecto)
        tabla = _SALUD.name
        # The UPDATE, without those of the `ESTABLES` that keep their value: by which change.
        self.actualizar: dict[tuple[bool, ...], str] = {}
        for cambian in itertools.product((True, False), repeat=len(ESTABLES)):
            fuera = {c for c, cambia in zip(ESTABLES, cambian, strict=True) if not cambia}
            asignar = ", ".join(f"{c} = {marca}" for c in COLUMNAS if c not in fuera)
            self.actualizar[cambian] = (
                f"UPDATE {tabla} SET {asignar}, version = version + 1 WHERE cliente_id = {marca}"
            )
        # PostgreSQL: the whole batch's UPDATE as one statement over the columns as arrays
        # (`unnest`), not a thousand statements: at 100k clients the server's time for
        # the UPDATEs 6.3-6.5 → 5.5-5.8 s and the storing process' CPU 15 → 11.7 s a run
        # (bench/ANALYSIS.md). The arrays go in binary (`%b`): as text, psycopg escaped
        # every element with a regular expression, which cost more than it saved. Every
        # column is set (PostgreSQL's index work follows the values, not the SET list);
        # a trigger `AFTER UPDATE OF` a column compares the values itself.
        self.actualizar_todas: str | None = None
        if dialecto.name == "postgresql":
            nombres = (*COLUMNAS, "cliente_id")
            tipos = [_SALUD.c[c].type.compile(dialect=dialecto) for c in nombres]
            asignar = ", ".join(f"{c} = v.{c}" for c in COLUMNAS)
            arrays = ", ".join(f"%b::{tipo}[]" for tipo in tipos)
            self.actualizar_todas = (
                f"UPDATE {tabla} AS s SET {asignar}, version = s.version + 1 "
                f"FROM unnest({arrays}) AS v({', '.join(nombres)}) "
                "WHERE s.cliente_id = v.cliente_id"
            )
        columnas = ", ".join((*COLUMNAS, "cliente_id", "version"))
        valores = ", ".join([marca] * (len(COLUMNAS) + 1) + ["1"])
        excluidas = ", ".join(f"{c} = excluded.{c}" for c in COLUMNAS)
        # An upsert, as `guardar_salud`'s: a row another transaction inserted meanwhile is
        # overwritten, never an IntegrityError.
        self.insertar = (
            f"INSERT INTO {tabla} ({columnas}) VALUES ({valores}) ON CONFLICT (cliente_id) "
            f"DO UPDATE SET {excluidas}, version = {tabla}.version + 1"
        )


_DIALECTOS: weakref.WeakKeyDictionary[Dialect, _Dialecto] = weakref.WeakKeyDictionary()


def _python(columna: str) -> type:
    tipo = _SALUD.c[columna].type
    return cast(type, getattr(tipo, "impl", tipo).python_type)


def _de(dialecto: Dialect) -> _Dialecto:
    if dialecto not in _DIALECTOS:
        _DIALECTOS[dialecto] = _Dialecto(dialecto)
    return _DIALECTOS[dialecto]


def preparar(filas: Sequence[dict[str, Any]], dialecto: Dialect) -> list[FilaPreparada]:
    """Health rows (`service.filas_salud`) as the driver's parameters for `dialecto`.

    Only the columns whose type converts are processed, and a column of days or instants
    converts each distinct value once (a batch's rows share a few hundred days and one
    instant): about 31 → 23 µs a client on SQLite."""
    preparado = _de(dialecto)
    memorias: list[dict[Any, Any]] = [{} for _ in preparado.memorizables]
    salida: list[FilaPreparada] = []
    for fila in filas:
        valores = [fila[c] for c in COLUMNAS]
        for i, procesar in preparado.directos:
            valores[i] = procesar(valores[i])
        for (i, procesar), memoria in zip(preparado.memorizables, memorias, strict=True):
            valor = valores[i]
            hecho = memoria.get(valor, _FALTA)
            if hecho is _FALTA:
                hecho = memoria[valor] = procesar(valor)
            valores[i] = hecho
        valores.append(fila["cliente_id"])
        salida.append(tuple(valores))
    return salida


def _de_un_tipo(valores: list[Any], posicion: int) -> list[Any]:
    """A column's values as one Python type (None aside): psycopg refuses an array that
    mixes them ("cannot dump lists of mixed types": an int among floats, or among Decimals),
    which an executemany row by row never minded. Converted only when they do mix."""
    tipos = set(map(type, valores))
    tipos.discard(type(None))
    if len(tipos) <= 1 or posicion >= len(COLUMNAS):
        return valores
    python = _python(COLUMNAS[posicion])
    return [v if v is None or type(v) is python else python(v) for v in valores]


def cliente_de(fila: FilaPreparada) -> str:
    return cast(str, fila[-1])


def guardar(session: Session, filas: Sequence[FilaPreparada]) -> None:
    """Write prepared health rows by client id: an UPDATE of those that have one (on
    SQLite without those of the `ESTABLES` columns whose stored value is the same, an
    executemany; on PostgreSQL one statement over arrays), an upsert of the rest (an
    executemany). The caller holds the clients' locks
    (every writer of a health row takes its client first), so the stored values read here
    are still those when the UPDATE runs."""
    if not filas:
        return
    sentencias = _de(session.get_bind().dialect)
    ids = [cliente_de(f) for f in filas]
    guardadas = {f[0]: f[1:] for f in filas_del_driver(session, _GUARDADAS, {"ids": ids})}
    conexion = session.connection()
    if sentencias.actualizar_todas is not None:
        viejas_pg = [f for f in filas if cliente_de(f) in guardadas]
        if viejas_pg:
            columnas = [
                _de_un_tipo(list(columna), i)
                for i, columna in enumerate(zip(*viejas_pg, strict=True))
            ]
            conexion.exec_driver_sql(sentencias.actualizar_todas, tuple(columnas))
        nuevas_pg = [f for f in filas if cliente_de(f) not in guardadas]
        if nuevas_pg:
            conexion.exec_driver_sql(sentencias.insertar, nuevas_pg)
        return
    viejas: defaultdict[tuple[bool, ...], list[FilaPreparada]] = defaultdict(list)
    nuevas: list[FilaPreparada] = []
    for fila in filas:
        guardada = guardadas.get(cliente_de(fila))
        if guardada is None:
            nuevas.append(fila)
            continue
        cambian = tuple(
            valor != fila[i] for valor, i in zip(guardada, _POSICION_ESTABLES, strict=True)
        )
        fuera = [i for i, cambia in zip(_POSICION_ESTABLES, cambian, strict=True) if not cambia]
        viejas[cambian].append(tuple(v for i, v in enumerate(fila) if i not in fuera))
    for cambian, grupo in viejas.items():
        conexion.exec_driver_sql(sentencias.actualizar[cambian], grupo)
    if nuevas:
        conexion.exec_driver_sql(sentencias.insertar, nuevas)
