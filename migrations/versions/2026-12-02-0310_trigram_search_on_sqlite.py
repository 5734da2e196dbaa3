"""trigram search on SQLite: an FTS5 index over `busqueda`, kept by triggers; and
PostgreSQL's trigram index without a pending list

Search `q` is `busqueda LIKE '%text%'`: on PostgreSQL the pg_trgm index of
`2026-11-22-0200` serves it; on SQLite it was a full scan (a company that is not there:
~80-110 ms at 100k clients). This revision adds `clientes_busqueda`, an FTS5 table with
the `trigram` tokenizer (SQLite 3.34+) over `clientes_extended.busqueda` (external
content: it holds only the index, keyed by the client row's rowid), and three triggers that
keep it in step with every insert, delete and change of `busqueda`, whoever writes.
`clientes/repository.py` searches it for queries of three characters or more.

Where the SQLite library has no FTS5 or no trigram tokenizer, the revision says so and
goes on without the index: search works as before, only slower. The table and its shadow
tables exist on SQLite only, so the models do not declare them (`models.TABLAS_SOLO_SQLITE`).

The index is keyed by rowid, which SQLite keeps through VACUUM and the backup API; after
restoring a database from a text dump, rebuild it with
`INSERT INTO clientes_busqueda(clientes_busqueda) VALUES ('rebuild')`.

On PostgreSQL the pg_trgm GIN index takes new entries into a pending list, which every
search reads through until (auto)vacuum merges it or it passes `gin_pending_list_limit`
(4 MB by default). Nearly every write to a client (its LTV, state, `fecha_actualizacion`) is
a non-HOT update that adds its trigrams again, so the list was rarely empty: at 20k clients
after one recompute, a search for a company that is not there read 4 MB of it (4 ms, and the
planner, pricing that in, scanned the table instead: 15 ms). A 256 kB limit keeps searches
at ~0.2 ms and client writes batched (`fastupdate = off` would make them 0.03 ms, but costs
each client write ~0.25 ms more: 25 s over a first recompute of 100k clients). The list is
flushed once here.

Revision ID: 4f8b2c6d1e93
Revises: 4b8d2f6a1c93
Create Date: 2026-12-02 02:00:00.000000+00:00
"""

import logging
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "4f8b2c6d1e93"
down_revision: str | None = "4b8d2f6a1c93"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

log = logging.getLogger("alembic.runtime.migration")

TABLA = "clientes_busqueda"
TRIGGERS = {
    f"{TABLA}_alta": f"""
        CREATE TRIGGER {TABLA}_alta AFTER INSERT ON clientes_extended BEGIN
            INSERT INTO {TABLA} (rowid, busqueda) VALUES (new.rowid, new.busqueda);
        END""",
    f"{TABLA}_baja": f"""
        CREATE TRIGGER {TABLA}_baja AFTER DELETE ON clientes_extended BEGIN
            INSERT INTO {TABLA} ({TABLA}, rowid, busqueda)
            VALUES ('delete', old.rowid, old.busqueda);
        END""",
    f"{TABLA}_cambio": f"""
        CREATE TRIGGER {TABLA}_cambio AFTER UPDATE OF busqueda ON clientes_extended
        WHEN old.busqueda IS NOT new.busqueda BEGIN
            INSERT INTO {TABLA} ({TABLA}, rowid, busqueda)
            VALUES ('delete', old.rowid, old.busqueda);
            INSERT INTO {TABLA} (rowid, busqueda) VALUES (new.rowid, new.busqueda);
        END""",
}


def _trigramas_disponibles(conn: sa.Connection) -> str | None:
    """None when this SQLite can build the index, else why not."""
    try:
        conn.exec_driver_sql(
            "CREATE VIRTUAL TABLE temp.crm_prueba_trigramas USING fts5(x, tokenize='trigram')"
        )
        conn.exec_driver_sql("DROP TABLE temp.crm_prueba_trigramas")
    except sa.exc.DBAPIError as exc:
        return str(exc.orig).strip().splitlines()[0]
    return None


TRIGRAMAS_POSTGRESQL = "ix_clientes_extended_busqueda_trgm"
LISTA_PENDIENTE_KB = 256


def _sin_lista_pendiente(conn: sa.Connection, *, activar: bool) -> None:
    existe = conn.execute(
        sa.text("SELECT to_regclass(:indice) IS NOT NULL"), {"indice": TRIGRAMAS_POSTGRESQL}
    ).scalar()
    if not existe:  # the role could not install pg_trgm: search goes unindexed
        return
    if activar:
        limite = f"gin_pending_list_limit = {LISTA_PENDIENTE_KB}"
        conn.exec_driver_sql(f"ALTER INDEX {TRIGRAMAS_POSTGRESQL} SET ({limite})")
        vaciar = sa.text("SELECT gin_clean_pending_list(CAST(:i AS regclass))")
        conn.execute(vaciar, {"i": TRIGRAMAS_POSTGRESQL})
    else:
        conn.exec_driver_sql(f"ALTER INDEX {TRIGRAMAS_POSTGRESQL} RESET (gin_pending_list_limit)")


def upgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name == "postgresql":
        _sin_lista_pendiente(conn, activar=True)
        return
    if conn.dialect.name != "sqlite":
        return
    motivo = _trigramas_disponibles(conn)
    if motivo is not None:
        log.warning("sin índice de trigramas (%s): la búsqueda q funciona, sin índice", motivo)
        return
    conn.exec_driver_sql(
        f"CREATE VIRTUAL TABLE {TABLA} USING fts5(busqueda, content='clientes_extended', "
        "content_rowid='rowid', tokenize='trigram')"
    )
    for sql in TRIGGERS.values():
        conn.exec_driver_sql(sql)
    conn.exec_driver_sql(f"INSERT INTO {TABLA} ({TABLA}) VALUES ('rebuild')")


def downgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name == "postgresql":
        _sin_lista_pendiente(conn, activar=False)
        return
    if conn.dialect.name != "sqlite":
        return
    for nombre in TRIGGERS:
        conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS {nombre}")
    conn.exec_driver_sql(f"DROP TABLE IF EXISTS {TABLA}")
