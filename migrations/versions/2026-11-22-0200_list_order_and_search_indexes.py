"""list order and search indexes: company name, and trigram search on PostgreSQL

Sorting the client list by `nombre_empresa` sorted the whole table for one page (90 ms at
100k clients on PostgreSQL). Search `q` is `busqueda LIKE '%text%'`, a full scan on either
database; on PostgreSQL a `pg_trgm` GIN index answers it from the index (100k clients:
a company that is not there 55 ms -> 0.1 ms; a word in 6,605 names 88 -> 33 ms).

`pg_trgm` is a trusted extension (PostgreSQL 13+), so the database owner can create it.
Where the role may not, the migration says so and goes on without the index: search works
as before, only slower. The index is PostgreSQL-only, so the models do not declare it
(see `models.INDICES_SOLO_POSTGRESQL`).

Revision ID: 5d2a9e4b7c10
Revises: 3b1f0c9e7a21
Create Date: 2026-11-22 02:00:00.000000+00:00
"""

import logging
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "5d2a9e4b7c10"
down_revision: str | None = "3b1f0c9e7a21"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TRIGRAMAS = "ix_clientes_extended_busqueda_trgm"

log = logging.getLogger("alembic.runtime.migration")


def upgrade() -> None:
    op.create_index(
        op.f("ix_clientes_extended_nombre_empresa"),
        "clientes_extended",
        ["nombre_empresa"],
        unique=False,
    )
    conn = op.get_bind()
    if conn.dialect.name != "postgresql":
        return
    try:
        # One savepoint for both: the extension may be refused to this role, or be
        # installed in a schema off the search path (gin_trgm_ops then does not resolve).
        with conn.begin_nested():
            conn.execute(sa.text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
            op.create_index(
                TRIGRAMAS,
                "clientes_extended",
                ["busqueda"],
                unique=False,
                postgresql_using="gin",
                postgresql_ops={"busqueda": "gin_trgm_ops"},
            )
    except sa.exc.DBAPIError as exc:
        log.warning(
            "sin índice de trigramas (%s): la búsqueda q funciona, sin índice",
            str(exc.orig).strip().splitlines()[0],
        )


def downgrade() -> None:
    op.execute(sa.text(f"DROP INDEX IF EXISTS {TRIGRAMAS}"))
    op.drop_index(op.f("ix_clientes_extended_nombre_empresa"), table_name="clientes_extended")
