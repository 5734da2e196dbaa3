"""SQL of the daily recompute: its keyset walk over the clients, the progress row that lets
an interrupted run resume, the change stamps that tell a batch a request got there first,
and a batch's alerts written by difference."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any, NamedTuple, cast

from sqlalchemy import Engine, Table, bindparam, delete, func, select, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from smartbilling_crm.models import Cliente, ProgresoRecalculo, SaludCliente
from smartbilling_crm.salud.repository import (
    INSERTAR_ALERTAS,
    TABLA_ALERTAS,
    _de,
    _leer,
    filas_del_driver,
    marca_del_driver,
)

logger = logging.getLogger("smartbilling_crm")


def ids_de_clientes(session: Session, despues_de: str | None, lote: int) -> list[str]:
    """The next `lote` client ids in id order (keyset pagination)."""
    stmt = select(Cliente.id).order_by(Cliente.id).limit(lote)
    if despues_de is not None:
        stmt = stmt.where(Cliente.id > despues_de)
    return list(session.scalars(stmt))


def clientes(session: Session, ids: Sequence[str]) -> list[Cliente]:
    return list(session.scalars(select(Cliente).where(Cliente.id.in_(ids)).order_by(Cliente.id)))


class ClienteLeido(NamedTuple):
    """What scoring reads of a client (`service.ClienteEvaluable`), as a plain row."""

    id: str
    nombre_empresa: str
    estado: str
    riesgo_impago: str
    ltv: Decimal
    margen_promedio: Decimal | None
    tamano_empresa: str | None
    cif_nif: str | None
    cif_nif_valido: bool | None
    fecha_primera_compra: date | None
    fecha_ultima_compra: date | None


_CLIENTES_LEIDOS = (
    select(*(getattr(Cliente, campo) for campo in ClienteLeido._fields))
    .where(_de(Cliente.id))
    .order_by(Cliente.id)
)


def clientes_leidos(session: Session, ids: Sequence[str]) -> list[ClienteLeido]:
    """The clients a batch scores, in id order, as rows: entities (every column, the
    identity map) cost a tenth of loading a batch's facts, and scoring edits nothing."""
    return [ClienteLeido(*fila) for fila in _leer(session, _CLIENTES_LEIDOS, {"ids": list(ids)})]


def contar_clientes(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Cliente)) or 0


def cortes_de_clientes(session: Session, partes: int) -> list[str]:
    """The client ids that cut the clients, in id order, into `partes` ranges of about the
    same size (fewer cuts when there are fewer clients than parts). The cuts come from one
    statement, in the database's order of ids: the ranges are bounded by `>=` and `<` in
    that order (its collation), which Python's order of the strings need not be."""
    total = contar_clientes(session)
    posiciones = sorted({total * i // partes + 1 for i in range(1, partes)} - {1})
    if not posiciones:
        return []
    numerada = select(
        Cliente.id, func.row_number().over(order_by=Cliente.id).label("posicion")
    ).subquery()
    return list(
        session.scalars(
            select(numerada.c.id)
            .where(numerada.c.posicion.in_(posiciones))
            .order_by(numerada.c.posicion)
        )
    )


PROGRESO_ID = 1


def progreso(session: Session) -> ProgresoRecalculo | None:
    return session.get(ProgresoRecalculo, PROGRESO_ID)


def empezar_progreso(session: Session, fecha_calculo: date, ajuste: datetime) -> None:
    """A new run of `recalcular`: nothing committed yet."""
    fila = progreso(session)
    if fila is None:
        fila = ProgresoRecalculo(id=PROGRESO_ID)
        session.add(fila)
    fila.fecha_calculo = fecha_calculo
    fila.ajuste = ajuste
    fila.ultimo_cliente_id = None
    fila.clientes = 0
    fila.completado = False


def avanzar_progreso(
    session: Session, ultimo_cliente_id: str | None, clientes: int, *, completado: bool = False
) -> None:
    """Record a committed batch (in the batch's own transaction) or the end of the run."""
    session.execute(
        update(ProgresoRecalculo)
        .where(ProgresoRecalculo.id == PROGRESO_ID)
        .values(ultimo_cliente_id=ultimo_cliente_id, clientes=clientes, completado=completado)
    )


# The two stamps as the driver returns them (SQLite's text, PostgreSQL's timestamps): they
# are only compared with themselves, read the same way, so nothing is converted (two
# thousand timestamps parsed a batch, twice: the stamps' read was 3.7 % of a run at 100k,
# 2.6 % without).
Huella = tuple[Any, Any]
_HUELLAS = (
    select(Cliente.id, Cliente.fecha_actualizacion, SaludCliente.fecha_actualizacion)
    .outerjoin(SaludCliente, SaludCliente.cliente_id == Cliente.id)
    .where(_de(Cliente.id))
)


def huellas(session: Session, ids: Sequence[str]) -> dict[str, Huella]:
    """Per client, when its row and its health row were last written: every change of a
    client's facts touches the client, and the refresh writes its health row with the
    request's instant, so a different pair means someone changed the client meanwhile.
    A client that no longer exists has no entry."""
    filas = filas_del_driver(session, _HUELLAS, {"ids": list(ids)})
    return {cliente_id: (cliente_en, salud_en) for cliente_id, cliente_en, salud_en in filas}


_CLIENTES = cast(Table, Cliente.__table__)
# Core on the table, not the ORM's bulk UPDATE by primary key (twice the cost, per row);
# `fecha_actualizacion` still takes its `onupdate`, as it did.
_ACTUALIZAR_CLIENTE = (
    update(_CLIENTES)
    .where(_CLIENTES.c.id == bindparam("_id"))
    .values(
        estado=bindparam("estado"),
        riesgo_impago=bindparam("riesgo_impago"),
        fecha_primera_compra=bindparam("fecha_primera_compra"),
        fecha_ultima_compra=bindparam("fecha_ultima_compra"),
    )
)


def actualizar_clientes(session: Session, filas: list[dict[str, Any]]) -> None:
    """Set `estado`, `riesgo_impago` and the purchase dates of several clients by id (one
    executemany)."""
    if filas:
        session.execute(_ACTUALIZAR_CLIENTE, [{**f, "_id": f["id"]} for f in filas])


def recoger_pendientes(engine: Engine) -> None:
    """PostgreSQL: VACUUM the counters' pending rows. Each commit's fold deletes the rows it
    appended, and finds them with a scan that also reads every dead row not yet reclaimed:
    without a vacuum meanwhile (autovacuum off, or a minute behind) a 100k recompute's folds
    grew quadratically (908 s on this project's CI machine, autovacuum off)."""
    mantener(engine, "VACUUM contadores_pendientes")


def analizar_alertas(engine: Engine) -> None:
    """PostgreSQL: ANALYZE the alerts table, so the planner knows its size. A first run over
    a portfolio loaded in bulk inserts every alert: without statistics the planner took the
    table for empty and read each batch's alerts by scanning all of it (171 ms a batch at
    100k clients: 3.8 s of a first run, 1.0 s with this; 14.1 s of the next day's run,
    2.7 s after an ANALYZE). Autovacuum analyzes too, but a minute late, and never where it
    is off. 0.7 s at 100k (a sample of rows). The run's other tables keep their size and
    are read by primary key."""
    mantener(engine, "ANALYZE alertas_cliente")


def mantener(engine: Engine, sentencia: str) -> None:
    """A PostgreSQL maintenance statement, outside any transaction (VACUUM refuses one).
    Best effort: the run's data is committed batch by batch whatever happens here, so a
    failure (a lock wait past `statement_timeout`, a lost connection) is logged as a
    warning, not raised; a table the user does not own is skipped by PostgreSQL itself
    with a warning. SQLite deletes in place and plans without such statistics: nothing
    to do."""
    if engine.dialect.name != "postgresql":
        return
    try:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql(sentencia)
    except DBAPIError as exc:
        logger.warning("recalcular: %s no se pudo ejecutar (%s); se sigue", sentencia, exc.orig)


_ALERTAS = TABLA_ALERTAS
_CAMPOS_ALERTA = ("tipo", "severidad", "rango", "referencia_id", "mensaje")
_ALERTAS_GUARDADAS = select(
    *(_ALERTAS.c[c] for c in ("id", "cliente_id", "posicion", *_CAMPOS_ALERTA))
).where(_ALERTAS.c.cliente_id.in_(bindparam("ids", expanding=True)))
_BORRAR_ALERTAS = delete(_ALERTAS).where(_ALERTAS.c.id.in_(bindparam("borrar", expanding=True)))
_ACTUALIZAR_ALERTA = update(_ALERTAS).where(_ALERTAS.c.id == bindparam("alerta_id"))
# Most of a day's changed alerts differ in their text alone (a day count). Setting only the
# text spares SQLite the entries of the indexes on the other three columns and the
# counters' trigger `UPDATE OF severidad, tipo` (each about half of the gain, measured
# apart): 2.28 s → 0.65 s of statements per 20k clients.
# Written for the driver, a (text, id) tuple a row: the day after a recompute about nine
# in ten alerts take this statement (half a million at 100k clients), and SQLAlchemy's
# per-row parameter handling cost as much as the statements (as the health rows',
# `filas_salud`).
_ACTUALIZAR_MENSAJE = f"UPDATE {_ALERTAS.name} SET mensaje={{m}} WHERE id={{m}}"
# PostgreSQL: the batch's texts in one statement over two arrays, in binary (as
# `filas_salud` does for the health rows): ~4,700 statements a batch were 1.8 s of the
# server's time at 100k clients, one is 1.5-1.6 s.
_ACTUALIZAR_MENSAJES_PG = (
    f"UPDATE {_ALERTAS.name} AS a SET mensaje = v.mensaje "
    "FROM unnest(%b::text[], %b::integer[]) AS v(mensaje, id) WHERE a.id = v.id"
)
_IDS_POR_SENTENCIA = 5000


def actualizar_alertas(session: Session, ids: Sequence[str], filas: list[dict[str, Any]]) -> None:
    """A batch's stored alerts become exactly `filas`, by (client, position): an alert that
    is already so is left alone, one that changed is updated in place, the rest are
    inserted or deleted (what `salud.repository.reemplazar_alertas` leaves, with its ids
    kept).

    A day's alerts are mostly yesterday's with a new day count (93 % of 106k at 20k
    clients): updating those in place spares the portfolio counters' triggers two runs per
    alert (a delete and an insert; an update of the text alone runs none) and the write-ahead
    log a row. One client's refresh keeps its delete and insert: two statements, not four."""
    guardadas: dict[tuple[str, int], tuple[int, tuple[Any, ...]]] = {}
    borrar: list[int] = []
    # From the driver's cursor: plain strings and numbers, nothing to convert.
    for alerta_id, cliente_id, posicion, *valores in filas_del_driver(
        session, _ALERTAS_GUARDADAS, {"ids": list(ids)}
    ):
        if (cliente_id, posicion) in guardadas:
            borrar.append(alerta_id)  # two at one position: one stays
        else:
            guardadas[(cliente_id, posicion)] = (alerta_id, tuple(valores))
    nuevas: list[dict[str, Any]] = []
    cambiadas: list[dict[str, Any]] = []
    textos: list[tuple[str, int]] = []
    for fila in filas:
        previa = guardadas.pop((fila["cliente_id"], fila["posicion"]), None)
        if previa is None:
            nuevas.append(fila)
            continue
        tipo, severidad, rango, referencia, mensaje = previa[1]
        if (tipo, severidad, rango, referencia) != (
            fila["tipo"],
            fila["severidad"],
            fila["rango"],
            fila["referencia_id"],
        ):
            cambiadas.append({"alerta_id": previa[0], **{c: fila[c] for c in _CAMPOS_ALERTA}})
        elif mensaje != fila["mensaje"]:
            textos.append((fila["mensaje"], previa[0]))
    borrar += [alerta_id for alerta_id, _ in guardadas.values()]
    for desde in range(0, len(borrar), _IDS_POR_SENTENCIA):  # within SQLite's 32,766 variables
        session.execute(_BORRAR_ALERTAS, {"borrar": borrar[desde : desde + _IDS_POR_SENTENCIA]})
    if cambiadas:
        session.execute(_ACTUALIZAR_ALERTA, cambiadas)
    if textos:
        conexion = session.connection()
        if conexion.dialect.name == "postgresql":
            mensajes, ids_alerta = zip(*textos, strict=True)
            conexion.exec_driver_sql(_ACTUALIZAR_MENSAJES_PG, (list(mensajes), list(ids_alerta)))
        else:
            marca = marca_del_driver(conexion.dialect)
            conexion.exec_driver_sql(_ACTUALIZAR_MENSAJE.format(m=marca), textos)
    if nuevas:
        session.execute(INSERTAR_ALERTAS, nuevas)
