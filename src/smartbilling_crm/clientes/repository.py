"""SQL of clients: lookups, the filtered list and erasure."""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, bindparam, column, delete, func, literal_column, select, table
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session
from sqlalchemy.sql.expression import ColumnClause

from smartbilling_crm.clientes.cache import Marca
from smartbilling_crm.kit.repository import storable
from smartbilling_crm.kit.validators import (
    clave_sector,
    compact_tax_id,
    fold,
    tax_id_has_known_shape,
)
from smartbilling_crm.models import TABLA_BUSQUEDA_SQLITE, Cliente, ContadorCartera, SaludCliente
from smartbilling_crm.models.salud import SILENCIO_SIN_CONTACTO


@dataclass(frozen=True)
class FiltroClientes:
    skip: int = 0
    limit: int = 50
    estado: str | None = None
    sector: str | None = None
    riesgo_impago: str | None = None
    q: str | None = None
    ordenar_por: str = "fecha_actualizacion"
    descendente: bool = True


_ORDER_COLUMNS: dict[str, Any] = {
    "fecha_actualizacion": Cliente.fecha_actualizacion,
    "nombre_empresa": Cliente.nombre_orden,  # Spanish order (`kit.validators.clave_nombre`)
    "ltv": Cliente.ltv,
    "fecha_última_compra": Cliente.fecha_ultima_compra,
}

# Keys on the health row, each served by an index of that table (`models.salud`). A client
# nobody has ever contacted (`dias_sin_actividad` null) has been silent longest: it heads
# the list sorted by days without activity, descending (and ends it ascending), instead of
# hiding at the bottom of the list meant to find it.
_CLAVES_DE_SALUD: dict[str, Any] = {
    "riesgo_perdida_score": SaludCliente.riesgo_perdida_score,
    "dias_sin_actividad": func.coalesce(
        SaludCliente.dias_sin_actividad, literal_column(str(SILENCIO_SIN_CONTACTO))
    ),
}


def get_by_email(session: Session, email: str) -> Cliente | None:
    return session.scalars(select(Cliente).where(Cliente.email == email)).first()


def get_by_cif_nif(session: Session, cif_nif: str) -> Cliente | None:
    return session.scalars(select(Cliente).where(Cliente.cif_nif == cif_nif)).first()


def exists(session: Session, cliente_id: str) -> bool:
    if not storable(cliente_id):
        return False
    return session.scalar(select(Cliente.id).where(Cliente.id == cliente_id)) is not None


_MARCA_360 = (
    select(Cliente.fecha_creacion, SaludCliente.version, SaludCliente.fecha_actualizacion)
    .join(SaludCliente, SaludCliente.cliente_id == Cliente.id)
    .where(Cliente.id == bindparam("id"))
)
_MARCA_SQL: dict[str, tuple[str, bool]] = {}


def _marca_sql(dialecto: Dialect, cliente_id: str) -> tuple[str, Any]:
    """`_MARCA_360` as the driver's SQL, compiled once per dialect, and its parameters."""
    if dialecto.name not in _MARCA_SQL:
        compilado = _MARCA_360.compile(dialect=dialecto)
        _MARCA_SQL[dialecto.name] = (compilado.string, compilado.positional)
    sql, posicional = _MARCA_SQL[dialecto.name]
    return sql, (cliente_id,) if posicional else {"id": cliente_id}


def marca_360(conexion: Any, dialecto: Dialect, cliente_id: str) -> Marca | None:
    """What a kept client 360 is checked against (`clientes.cache`), by primary key on a
    pooled driver connection (its errors are the driver's, worded by `EnUnidad`'s
    `atajo`); None for a client that does not exist or has no health row yet. The
    driver's values, only ever compared with each other."""
    if not storable(cliente_id):
        return None
    sql, parametros = _marca_sql(dialecto, cliente_id)
    cursor = conexion.cursor()
    try:
        cursor.execute(sql, parametros)
        fila = cursor.fetchone()
    finally:
        cursor.close()
    return Marca(*fila) if fila is not None else None


def marca_360_en(session: Session, cliente_id: str) -> Marca | None:
    """`marca_360` in a unit of work's transaction (it sees what the unit wrote)."""
    if not storable(cliente_id):
        return None
    sql, parametros = _marca_sql(session.get_bind().dialect, cliente_id)
    fila = session.connection().exec_driver_sql(sql, parametros).first()
    return Marca(*fila) if fila is not None else None


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


# Search `q` on SQLite: the FTS5 `trigram` index over `busqueda` (migration 2026-12-02-0200),
# keyed by the client row's rowid. It finds substrings of three characters or more; shorter
# ones match most clients anyway and go through LIKE. PostgreSQL's pg_trgm index serves the
# LIKE itself, chosen by its planner.
MINIMO_TRIGRAMAS = 3
_INDICE_BUSQUEDA = table(TABLA_BUSQUEDA_SQLITE, column("rowid"))
_FILA_CLIENTE: ColumnClause[Any] = literal_column("clientes_extended.rowid")
_CON_INDICE: weakref.WeakKeyDictionary[Engine, bool] = weakref.WeakKeyDictionary()


def _indice_trigramas(session: Session) -> bool:
    """Whether this SQLite database has the trigram index (asked once per engine: it is
    missing where the library has no FTS5 trigram tokenizer)."""
    bind = session.get_bind()
    if bind.dialect.name != "sqlite":
        return False
    engine = bind if isinstance(bind, Engine) else bind.engine
    if engine not in _CON_INDICE:
        maestro = table("sqlite_master", column("name"), column("type"))
        _CON_INDICE[engine] = (
            session.scalar(
                select(maestro.c.name).where(
                    maestro.c.type == "table", maestro.c.name == TABLA_BUSQUEDA_SQLITE
                )
            )
            is not None
        )
    return _CON_INDICE[engine]


def _sin_indice(columna: Any) -> Any:
    """SQLite's `+columna`: the same value, but the planner may not use an index on it, so
    it drives the query from the trigram matches instead of walking another index."""
    expresion = columna.expression
    return literal_column(f"+{expresion.table.name}.{expresion.name}")


def _filtros(filtro: FiltroClientes, *, sin_indice: bool = False) -> list[Any]:
    """The list's filters but `q`; `sector` matches a stored folded copy, so fold it too."""

    def col(columna: Any) -> Any:
        return _sin_indice(columna) if sin_indice else columna

    conditions = []
    if filtro.estado:
        conditions.append(col(Cliente.estado) == filtro.estado)
    if filtro.sector and (sector := clave_sector(filtro.sector)):
        conditions.append(col(Cliente.sector_plegado) == sector)
    if filtro.riesgo_impago:
        conditions.append(col(Cliente.riesgo_impago) == filtro.riesgo_impago)
    return conditions


def _como_subcadena(texto: str) -> Any:
    return Cliente.busqueda.like(f"%{_escape_like(texto)}%", escape="\\")


def _por_trigramas(
    session: Session, filtro: FiltroClientes, texto: str
) -> tuple[list[Any], bool, int]:
    """Search through the trigram index: (conditions of the page, whether the page may walk
    an ordering index, total).

    One statement counts the matches (on the index alone when `q` is the only filter) and
    reads the table's highest rowid, the size of the portfolio give or take erased clients.
    A rare term is then served from its few matches, sorted; a common one walks the
    ordering index testing `busqueda` (as the unsearched list does), which finds a page
    after about (skip + limit) × clients ÷ matches rows: cheaper once that is below the
    matches themselves."""
    frase = '"' + texto.replace('"', '""') + '"'
    coincidencias = select(_INDICE_BUSQUEDA.c.rowid).where(
        literal_column(TABLA_BUSQUEDA_SQLITE).match(frase)
    )
    clientes = (
        select(func.max(literal_column("rowid"))).select_from(Cliente.__table__).scalar_subquery()
    )
    otros = _filtros(filtro, sin_indice=True)
    if otros:
        contar = (
            select(func.count(), clientes)
            .select_from(Cliente)
            .where(_FILA_CLIENTE.in_(coincidencias), *otros)
        )
    else:
        contar = (
            select(func.count(), clientes)
            .select_from(_INDICE_BUSQUEDA)
            .where(literal_column(TABLA_BUSQUEDA_SQLITE).match(frase))
        )
    total, filas = session.execute(contar).one()
    recorrer = total * total > (filtro.skip + filtro.limit) * max(filas or 0, 1)
    if recorrer:
        return [*_filtros(filtro), _como_subcadena(texto)], True, total
    return [_FILA_CLIENTE.in_(coincidencias), *otros], False, total


_CLIENTES_POR_ESTADO = select(func.coalesce(func.sum(ContadorCartera.numero), 0)).where(
    ContadorCartera.grupo == "clientes"
)


def _contar(session: Session, filtro: FiltroClientes, texto: str, conditions: list[Any]) -> int:
    """How many clients match. Filtered by state alone, or not at all, from the running
    totals per state the database's triggers keep (`contadores_cartera`, group `clientes`):
    counting 85,000 active clients of 100,000 took longer than reading their first page."""
    if not texto and not filtro.sector and not filtro.riesgo_impago:
        contar = _CLIENTES_POR_ESTADO
        if filtro.estado:
            contar = contar.where(ContadorCartera.clave == filtro.estado)
        return int(session.scalar(contar) or 0)
    return session.scalar(select(func.count()).select_from(Cliente).where(*conditions)) or 0


def texto_de_busqueda(q: str | None) -> str:
    """What `q` searches for: folded (case and accents), and a tax id in the compact form
    it is stored in, as the API reads it on input ("ES B-07004435" finds B07004435)."""
    if not q or not q.strip():
        return ""
    compacto = compact_tax_id(q)
    if compacto != q.strip() and tax_id_has_known_shape(compacto):
        return fold(compacto)
    return fold(q.strip())


def list_page(
    session: Session, filtro: FiltroClientes
) -> tuple[list[tuple[Cliente, SaludCliente | None]], int]:
    """One page of clients with their stored health row, and the total that matches."""
    texto = texto_de_busqueda(filtro.q)
    ordenar_por_indice = True
    por_trigramas = len(texto) >= MINIMO_TRIGRAMAS and _indice_trigramas(session)
    if por_trigramas:
        conditions, ordenar_por_indice, total = _por_trigramas(session, filtro, texto)
    else:
        conditions = _filtros(filtro)
        if texto:
            conditions.append(_como_subcadena(texto))
        total = _contar(session, filtro, texto, conditions)

    if filtro.ordenar_por in _CLAVES_DE_SALUD:
        if conditions and session.get_bind().dialect.name == "sqlite":
            if not por_trigramas:  # (the trigram search has decided already)
                ordenar_por_indice = _recorrer_el_indice(session, filtro, total)
            if ordenar_por_indice:
                # No filter index may drive the page: SQLite would take it and sort.
                conditions = _filtros(filtro, sin_indice=True)
                if texto:
                    conditions.append(_como_subcadena(texto))
        return _por_salud(session, filtro, conditions, ordenar_por_indice, total), total
    column = _ORDER_COLUMNS[filtro.ordenar_por]
    clave = column if ordenar_por_indice else _sin_indice(column)
    order = clave.desc() if filtro.descendente else clave.asc()
    # Only nullable keys get NULLS LAST: PostgreSQL cannot walk an index for `DESC NULLS
    # LAST`, so on a NOT NULL column it would sort the whole table to show one page (119
    # ms instead of 0.8 ms at 100k clients).
    if column.expression.nullable:
        order = order.nulls_last()
    stmt = (
        select(Cliente, SaludCliente)
        .outerjoin(SaludCliente, SaludCliente.cliente_id == Cliente.id)
        .where(*conditions)
        .order_by(order, _sentido(filtro, Cliente.id))
        .offset(filtro.skip)
        .limit(filtro.limit)
    )
    return [(cliente, salud) for cliente, salud in session.execute(stmt).all()], total


def _recorrer_el_indice(session: Session, filtro: FiltroClientes, total: int) -> bool:
    """Whether a filtered page sorted by a health figure walks the figure's index on
    SQLite. Left to itself SQLite drives a filtered page from the filter's own index and
    sorts every match (0.3 s for the active clients of 100,000). Walking the figure's
    index, testing each client, finds a page after about (skip + limit) × clients ÷
    matches rows: worth it once that is below the matches (the trigram search's rule). A
    rare filter's few matches are read by its index and sorted, as before."""
    clientes = int(session.scalar(_CLIENTES_POR_ESTADO) or 0)
    return total * total > (filtro.skip + filtro.limit) * clientes


def _sentido(filtro: FiltroClientes, clave: Any) -> Any:
    return clave.desc() if filtro.descendente else clave.asc()


def _por_salud(
    session: Session,
    filtro: FiltroClientes,
    conditions: list[Any],
    por_indice: bool,
    total: int,
) -> list[tuple[Cliente, SaludCliente | None]]:
    """A page sorted by a figure of the health row: the clients that have one, then, either
    way, those that have none yet (by id; a client stored before its first computation).

    The first part walks the health row's index on (figure, client) and joins each client
    by its key, so a page costs what it shows, where an outer join sorted every client
    (0.6 s a page on SQLite at 100k). The second is read only on a page that the first
    part does not fill and `total` says more clients match: in a portfolio where every
    client has its row, never."""
    clave = _CLAVES_DE_SALUD[filtro.ordenar_por]
    if not por_indice:
        # A rare search term or filter: its few matches, outer-joined and sorted.
        stmt = (
            select(Cliente, SaludCliente)
            .outerjoin(SaludCliente, SaludCliente.cliente_id == Cliente.id)
            .where(*conditions)
            .order_by(
                SaludCliente.cliente_id.is_(None),
                _sentido(filtro, clave),
                _sentido(filtro, Cliente.id),
            )
            .offset(filtro.skip)
            .limit(filtro.limit)
        )
        return [(cliente, salud) for cliente, salud in session.execute(stmt).all()]
    stmt = (
        select(Cliente, SaludCliente)
        .join(SaludCliente, SaludCliente.cliente_id == Cliente.id)
        .where(*conditions)
        .order_by(_sentido(filtro, clave), _sentido(filtro, SaludCliente.cliente_id))
        .offset(filtro.skip)
        .limit(filtro.limit)
    )
    filas: list[tuple[Cliente, SaludCliente | None]] = [
        (cliente, salud) for cliente, salud in session.execute(stmt).all()
    ]
    if len(filas) == filtro.limit:
        return filas
    if filas or filtro.skip == 0:
        con_salud = filtro.skip + len(filas)  # the first part ended on this page
    else:
        contar = (
            select(func.count())
            .select_from(Cliente)
            .join(SaludCliente, SaludCliente.cliente_id == Cliente.id)
            .where(*conditions)
        )
        con_salud = session.scalar(contar) or 0
    if total <= con_salud:
        return filas
    sin_fila = (
        select(Cliente)
        .where(
            *conditions,
            ~select(SaludCliente.cliente_id).where(SaludCliente.cliente_id == Cliente.id).exists(),
        )
        .order_by(_sentido(filtro, Cliente.id))
        .offset(max(0, filtro.skip - con_salud))
        .limit(filtro.limit - len(filas))
    )
    return filas + [(cliente, None) for cliente in session.scalars(sin_fila)]


def delete_cliente(session: Session, cliente_id: str) -> None:
    """Erase a client; the database cascades to everything that belongs to it."""
    session.execute(delete(Cliente).where(Cliente.id == cliente_id))
