"""SQL of the health rows and stored alerts, and of the facts the health engine needs.

Fact loaders take a list of client ids, so one client (a read, the invoice hook) and
a batch of a thousand (`recalcular`) run the same few set-based statements. What only the
daily recompute needs (its keyset walk, progress row and change stamps) is in `recalculo`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, NamedTuple, cast

from sqlalchemy import (
    Table,
    and_,
    bindparam,
    delete,
    func,
    insert,
    literal,
    literal_column,
    null,
    or_,
    select,
    union_all,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import CursorResult, Dialect
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from smartbilling_crm.dominio import TipoActividad
from smartbilling_crm.models import (
    Actividad,
    AlertaCliente,
    Cliente,
    Contacto,
    Oportunidad,
    ResumenCartera,
    SaludCliente,
)

VIP_FRACCION = 10  # the top 10% of buyers by LTV
ESTADOS_CERRADOS = ("ganada", "perdida")
# Timeline entries written by the invoice hook: not human interactions.
TIPOS_DEL_LEDGER = (str(TipoActividad.FACTURA), str(TipoActividad.PAGO))


def get(session: Session, cliente_id: str) -> SaludCliente | None:
    return session.get(SaludCliente, cliente_id)


RESUMEN_ID = 1


def resumen(session: Session) -> ResumenCartera | None:
    return session.get(ResumenCartera, RESUMEN_ID)


_RESUMEN_VIGENTE = select(
    ResumenCartera.umbral_vip, ResumenCartera.modelo_compras, ResumenCartera.prior_pagos
).where(ResumenCartera.id == RESUMEN_ID)


def resumen_vigente(session: Session) -> Any:
    """The last recompute's threshold, model and prior (None before any): what every
    write's refresh reads, so a prebuilt statement, not the ORM's `get`, unless this
    session holds the row (a recompute that stored it and has not flushed yet). Without a
    flush, as `get`: the refresh's pending LTV goes out later with the client's state."""
    cargada = session.identity_map.get(identity_key(ResumenCartera, RESUMEN_ID))
    if cargada is not None:
        return cargada
    return session.connection().execute(_RESUMEN_VIGENTE).first()


def guardar_resumen(
    session: Session,
    umbral: Decimal | None,
    modelo: dict[str, Any],
    now: datetime,
    prior: dict[str, Any] | None = None,
) -> None:
    """Keep the portfolio figures of this recompute: VIP threshold, purchase model and
    late-payment prior."""
    fila = resumen(session)
    if fila is None:
        fila = ResumenCartera(id=RESUMEN_ID)
        session.add(fila)
    fila.umbral_vip = umbral
    fila.modelo_compras = modelo
    fila.prior_pagos = prior
    fila.fecha_calculo = now


def umbral_vip(session: Session) -> Decimal | None:
    """LTV of the k-th best buyer, k = max(1, buyers // 10); None when nobody bought.

    Ranks the whole portfolio: for `recalcular`; requests use the stored value.
    """
    compradores = session.scalar(select(func.count()).where(Cliente.ltv > 0)) or 0
    if compradores == 0:
        return None
    k = max(1, compradores // VIP_FRACCION)
    return session.scalar(
        select(Cliente.ltv)
        .where(Cliente.ltv > 0)
        .order_by(Cliente.ltv.desc())
        .offset(k - 1)
        .limit(1)
    )


def _de(columna: Any) -> Any:
    """`columna IN :ids`, expanding: the fact loaders' statements are built once, at import,
    and executed with the ids as a parameter (building and cache-keying a statement per call
    cost as much as running it, for one client)."""
    return columna.in_(bindparam("ids", expanding=True))


def _leer(session: Session, stmt: Any, parametros: dict[str, Any]) -> Any:
    """A fact loader's rows through the session's connection: the ORM's result path (for
    statements of columns, not entities) cost a tenth of scoring a client in `recalcular`.
    Flushes first, as the session's own `execute` would."""
    session.flush()
    return session.connection().execute(stmt, parametros)


def marca_del_driver(dialecto: Dialect) -> str:
    """The driver's positional parameter marker, for statements written for the driver
    (sqlite3's `?`, psycopg's `%s`)."""
    return "?" if dialecto.paramstyle == "qmark" else "%s"


def filas_del_driver(session: Session, stmt: Any, parametros: dict[str, Any]) -> list[Any]:
    """A statement's rows as the driver returns them, read from its cursor: tuples, nothing
    converted (no result processors, no `Row`s), for reads whose values are compared or
    turned into arrays as they come (the ledger, change stamps, stored alerts)."""
    resultado = _leer(session, stmt, parametros)
    try:
        return list(resultado.cursor.fetchall())
    finally:
        resultado.close()


def _agrupar(rows: Any) -> dict[str, list[Any]]:
    grupos: dict[str, list[Any]] = defaultdict(list)
    for cliente_id, item in rows:
        grupos[cliente_id].append(item)
    return grupos


# What the engines read of an opportunity, a contact and a task (`ligero` loads): plain
# rows with these attributes instead of entities, a third of a batch's load.
_OPORTUNIDAD = (
    Oportunidad.id,
    Oportunidad.nombre_proyecto,
    Oportunidad.estado,
    Oportunidad.monto_estimado,
    Oportunidad.probabilidad_cierre,
    Oportunidad.fecha_cierre_estimada,
)
_CONTACTO = (
    Contacto.id,
    Contacto.nombre_completo,
    Contacto.rol,
    Contacto.es_contacto_principal,
    Contacto.es_contacto_financiero,
)


def _con_filas(stmt: Any, columnas: tuple[Any, ...]) -> tuple[Any, Any]:
    """A loader's statement for entities and, `ligero`, for rows of `columnas`."""
    return stmt, stmt.with_only_columns(columnas[0].table.c.cliente_id, *columnas)


def _cargar(session: Session, stmts: tuple[Any, Any], ids: Sequence[str], ligero: bool) -> Any:
    if not ligero:
        return _agrupar(session.execute(stmts[0], {"ids": list(ids)}).all())
    grupos: dict[str, list[Any]] = defaultdict(list)
    for fila in _leer(session, stmts[1], {"ids": list(ids)}):
        grupos[fila[0]].append(fila)
    return grupos


_ABIERTAS = _con_filas(
    select(Oportunidad.cliente_id, Oportunidad)
    .where(_de(Oportunidad.cliente_id), Oportunidad.estado.not_in(ESTADOS_CERRADOS))
    .order_by(Oportunidad.fecha_creacion.desc(), Oportunidad.id),
    _OPORTUNIDAD,
)
_CONTACTOS = _con_filas(
    select(Contacto.cliente_id, Contacto)
    .where(_de(Contacto.cliente_id))
    .order_by(Contacto.es_contacto_principal.desc(), Contacto.nombre_completo, Contacto.id),
    _CONTACTO,
)


def oportunidades_abiertas(
    session: Session, ids: Sequence[str], *, ligero: bool = False
) -> dict[str, list[Oportunidad]]:
    return cast(dict[str, list[Oportunidad]], _cargar(session, _ABIERTAS, ids, ligero))


def contactos(
    session: Session, ids: Sequence[str], *, ligero: bool = False
) -> dict[str, list[Contacto]]:
    return cast(dict[str, list[Contacto]], _cargar(session, _CONTACTOS, ids, ligero))


class Tarea(NamedTuple):
    """A pending task as the rules read it."""

    id: str
    titulo: str
    fecha: datetime


@dataclass
class ActividadDeClientes:
    """What the engines read of the clients' timelines and won deals (`actividad`)."""

    fechas: dict[str, list[datetime]] = field(default_factory=dict)
    tareas: dict[str, list[Tarea]] = field(default_factory=dict)
    ganadas: dict[str, datetime] = field(default_factory=dict)


_RECIENTE, _ULTIMA, _TAREA_PENDIENTE, _GANADA = range(4)
# Human interactions (contract §8): not the ledger's entries, and a task only once done (a
# pending task, overdue or not, is something nobody did: it must not end a silence).
_HUMANA = and_(
    Actividad.tipo.not_in(TIPOS_DEL_LEDGER),
    or_(Actividad.tipo != str(TipoActividad.TAREA), Actividad.completada.is_(True)),
)
_SIN_TEXTO = null()
# Four reads in one statement, tagged, in the tasks' order: each client's pending tasks,
# the dates of its human interactions in (desde, hasta], its newest one up to `hasta`, and
# when its latest won opportunity closed. A round trip each before; on PostgreSQL about
# 40 % of a webhook's time is its statements. The tasks come first: their columns type the
# union's.
_ACTIVIDAD: Any = union_all(
    select(
        Actividad.cliente_id,
        Actividad.fecha.label("fecha"),
        literal(_TAREA_PENDIENTE).label("clase"),
        Actividad.id.label("id"),
        Actividad.titulo,
    ).where(_de(Actividad.cliente_id), Actividad.tipo == "tarea", Actividad.completada.is_(False)),
    select(Actividad.cliente_id, Actividad.fecha, literal(_RECIENTE), _SIN_TEXTO, _SIN_TEXTO).where(
        _de(Actividad.cliente_id),
        _HUMANA,
        Actividad.fecha > bindparam("desde"),
        Actividad.fecha <= bindparam("hasta"),
    ),
    select(
        Actividad.cliente_id, func.max(Actividad.fecha), literal(_ULTIMA), _SIN_TEXTO, _SIN_TEXTO
    )
    .where(_de(Actividad.cliente_id), _HUMANA, Actividad.fecha <= bindparam("hasta"))
    .group_by(Actividad.cliente_id),
    select(
        Oportunidad.cliente_id,
        func.max(Oportunidad.fecha_cierre_real),
        literal(_GANADA),
        _SIN_TEXTO,
        _SIN_TEXTO,
    )
    .where(_de(Oportunidad.cliente_id), Oportunidad.estado == "ganada")
    .group_by(Oportunidad.cliente_id),
).order_by(literal_column("fecha"), literal_column("id"))


def actividad(
    session: Session, ids: Sequence[str], desde: datetime, hasta: datetime
) -> ActividadDeClientes:
    """Per client: its pending tasks (oldest first), the dates of its human interactions
    in (desde, hasta] plus its newest one up to `hasta` (all the engagement metrics need,
    without loading long timelines), and when its latest won opportunity closed.

    Invoices and payments are the ledger's entries in the timeline, not interactions with
    the client (contract §8): a cancelled invoice does not end a silence."""
    fechas: defaultdict[str, list[datetime]] = defaultdict(list)
    tareas: defaultdict[str, list[Tarea]] = defaultdict(list)
    ganadas: dict[str, datetime] = {}
    ultimas: list[tuple[str, datetime | None]] = []
    parametros = {"ids": list(ids), "desde": desde, "hasta": hasta}
    for cliente_id, fecha, clase, tarea_id, titulo in _leer(session, _ACTIVIDAD, parametros):
        if clase == _RECIENTE:
            fechas[cliente_id].append(fecha)
        elif clase == _TAREA_PENDIENTE:
            tareas[cliente_id].append(Tarea(tarea_id, titulo, fecha))
        elif clase == _ULTIMA:
            ultimas.append((cliente_id, fecha))
        elif fecha is not None:
            ganadas[cliente_id] = fecha
    for cliente_id, ultima in ultimas:
        if ultima is not None and ultima not in fechas[cliente_id]:
            fechas[cliente_id].append(ultima)
    # Plain dicts, as declared: a client with nothing is missing (`.get`), not added by
    # whoever looks it up.
    return ActividadDeClientes(dict(fechas), dict(tareas), ganadas)


_SALUD = cast(Table, SaludCliente.__table__)
_SALUD_EXISTENTE = select(SaludCliente.cliente_id).where(_de(SaludCliente.cliente_id))
# Every write counts one more `version` (what a kept client 360 is checked against).
_ACTUALIZAR_SALUD = (
    update(_SALUD)
    .where(_SALUD.c.cliente_id == bindparam("_cliente"))
    .values(version=_SALUD.c.version + 1)
)


def _para_actualizar(fila: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in fila.items() if k != "cliente_id"} | {"_cliente": fila["cliente_id"]}


def guardar_salud(session: Session, filas: list[dict[str, Any]]) -> None:
    """Write health rows by client id (bulk UPDATE; rows that are missing are inserted).

    The insert is an upsert: a row another transaction inserted meanwhile (two first reads
    of a client racing, a read racing a write) is overwritten, never an IntegrityError."""
    if not filas:
        return
    viejas: list[dict[str, Any]] = []
    if len(filas) == 1:
        # One client (a write's refresh): its row is usually there, so UPDATE it and insert
        # only if nothing was updated: one statement instead of a lookup and an UPDATE.
        hecho = session.execute(_ACTUALIZAR_SALUD, _para_actualizar(filas[0]))
        nuevas = [] if cast(CursorResult[Any], hecho).rowcount == 1 else filas
    else:
        ids = [f["cliente_id"] for f in filas]
        existentes = set(session.scalars(_SALUD_EXISTENTE, {"ids": ids}))
        nuevas = [f for f in filas if f["cliente_id"] not in existentes]
        viejas = [f for f in filas if f["cliente_id"] in existentes]
    # Core statements on the table, executemany: the ORM's bulk paths cost as much again.
    if viejas:
        session.execute(_ACTUALIZAR_SALUD, [_para_actualizar(f) for f in viejas])
    if nuevas:
        insertar = (
            postgresql.insert(_SALUD)
            if session.get_bind().dialect.name == "postgresql"
            else sqlite.insert(_SALUD)
        )
        columnas = [k for k in nuevas[0] if k != "cliente_id"]
        session.execute(
            insertar.on_conflict_do_update(
                index_elements=[_SALUD.c.cliente_id],
                set_={k: insertar.excluded[k] for k in columnas}
                | {"version": _SALUD.c.version + 1},
            ),
            nuevas,
        )


def cliente_y_salud(
    session: Session, cliente_id: str
) -> tuple[Cliente | None, SaludCliente | None]:
    """The client and its stored health row in one statement (either may be missing).

    `populate_existing`: what a refresh earlier in this unit of work (or in another one)
    wrote replaces what the session had loaded; this unit's own pending changes (the
    refresh sets the client's state and risk on the loaded row) are flushed first, or the
    reload would drop them."""
    session.flush()
    fila = session.execute(_CLIENTE_Y_SALUD, {"cliente_id": cliente_id}).first()
    return (None, None) if fila is None else (fila[0], fila[1])


# Every read of a client's 360, health or recommendations runs it: built once.
_CLIENTE_Y_SALUD = (
    select(Cliente, SaludCliente)
    .outerjoin(SaludCliente, SaludCliente.cliente_id == Cliente.id)
    .where(Cliente.id == bindparam("cliente_id"))
    .execution_options(populate_existing=True)
)


# FOR NO KEY UPDATE: it excludes the other refreshes of the client but not the key-share
# lock that inserting a contact, activity or invoice of it takes (the foreign key); FOR
# UPDATE would deadlock two such writes, each waiting for the other's key share.
_CANDADO = {"key_share": True}


def bloquear_cliente(session: Session, cliente_id: str) -> Cliente | None:
    """The client, locked until the end of the transaction on PostgreSQL (SQLite's writers
    are serialised by BEGIN IMMEDIATE), so two refreshes of it run one after the other."""
    return session.get(Cliente, cliente_id, with_for_update=_CANDADO)


_BLOQUEAR = (
    select(Cliente).where(_de(Cliente.id)).order_by(Cliente.id).with_for_update(key_share=True)
)


def bloquear_clientes(session: Session, ids: Sequence[str]) -> list[Cliente]:
    """These clients (an erased one is left out), locked as `bloquear_cliente`, in id order
    so two transactions locking several cannot deadlock."""
    return list(session.scalars(_BLOQUEAR, {"ids": list(ids)}))


_BLOQUEAR_IDS = _BLOQUEAR.with_only_columns(Cliente.id)


def bloquear_ids(session: Session, ids: Sequence[str]) -> None:
    """Lock these clients as `bloquear_clientes` does, loading nothing (a batch of the
    recompute only needs the lock: its 1,000 entities cost more than its check)."""
    session.execute(_BLOQUEAR_IDS, {"ids": list(ids)}).all()


def alertas(session: Session, cliente_id: str) -> list[AlertaCliente]:
    """The client's stored alerts, in the order the rules gave them (most severe first)."""
    return list(
        session.scalars(
            select(AlertaCliente)
            .where(AlertaCliente.cliente_id == cliente_id)
            .order_by(AlertaCliente.posicion, AlertaCliente.id)
        )
    )


def recomendaciones(session: Session, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    """Per client, its stored recommendations (clients without them are left out)."""
    return {
        cliente_id: datos
        for cliente_id, datos in session.execute(
            select(SaludCliente.cliente_id, SaludCliente.recomendaciones).where(
                SaludCliente.cliente_id.in_(ids)
            )
        )
        if datos is not None
    }


# On the table, not the entity: the ORM's bulk delete (matching the session's loaded
# alerts) cost as much again as the statement; nothing loads alerts in a write's session.
TABLA_ALERTAS = cast(Table, AlertaCliente.__table__)
_BORRAR_ALERTAS = delete(TABLA_ALERTAS).where(_de(TABLA_ALERTAS.c.cliente_id))
INSERTAR_ALERTAS = insert(TABLA_ALERTAS)


def reemplazar_alertas(session: Session, ids: Sequence[str], filas: list[dict[str, Any]]) -> None:
    """The clients' stored alerts become exactly `filas`."""
    session.execute(_BORRAR_ALERTAS, {"ids": list(ids)})
    if filas:
        session.execute(INSERTAR_ALERTAS, filas)
