"""clients sorted by name in Spanish order: a stored sort key, compared byte by byte

The client list sorted by `nombre_empresa` in the database's own order: on SQLite byte
order, so "Órbita" and every lower-case name came after "Zeta"; on PostgreSQL whatever
collation the server was created with. `nombre_orden` is the name folded (case and accents
ignored, ñ after n: `kit.validators.clave_nombre`), compared byte by byte on both (collation
"C" on PostgreSQL), with an index that serves the sort and its tie-break by id; the index
on `nombre_empresa`, which served only that sort, goes.

Revision ID: 7c4e2a9d1b58
Revises: 3b7e1d9a2c44
Create Date: 2026-12-06 21:00:00.000000+00:00
"""

import unicodedata
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "7c4e2a9d1b58"
down_revision: str | None = "3b7e1d9a2c44"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_LOTE = 1000


def _clave(nombre: str) -> str:
    # Frozen copy of smartbilling_crm.kit.validators.clave_nombre as of this revision.
    texto = unicodedata.normalize("NFC", nombre.strip())
    texto = texto.replace("ñ", "\ue000").replace("Ñ", "\ue000")
    plegado = "".join(
        c for c in unicodedata.normalize("NFKD", texto) if not unicodedata.combining(c)
    ).lower()
    return plegado.replace("\ue000", "n~")[:200]


# Plain ALTER TABLE on both databases: a batch copy of the table would trip SQLite over the
# triggers and foreign keys that name it (see the folded sector's revision).
def upgrade() -> None:
    op.add_column(
        "clientes_extended",
        sa.Column(
            "nombre_orden",
            sa.String(200).with_variant(sa.String(200, collation="C"), "postgresql"),
            nullable=False,
            server_default="",
        ),
    )
    conn = op.get_bind()
    filas = conn.execute(sa.text("SELECT id, nombre_empresa FROM clientes_extended")).all()
    actualizar = sa.text("UPDATE clientes_extended SET nombre_orden = :clave WHERE id = :id")
    for inicio in range(0, len(filas), _LOTE):
        conn.execute(
            actualizar,
            [{"id": i, "clave": _clave(nombre)} for i, nombre in filas[inicio : inicio + _LOTE]],
        )
    op.create_index(
        op.f("ix_clientes_extended_nombre_orden_id"),
        "clientes_extended",
        ["nombre_orden", "id"],
        unique=False,
    )
    # The name's own index served only that sort: every write of a client paid for it.
    op.drop_index(op.f("ix_clientes_extended_nombre_empresa"), table_name="clientes_extended")


def downgrade() -> None:
    op.create_index(
        op.f("ix_clientes_extended_nombre_empresa"),
        "clientes_extended",
        ["nombre_empresa"],
        unique=False,
    )
    op.drop_index(op.f("ix_clientes_extended_nombre_orden_id"), table_name="clientes_extended")
    op.drop_column("clientes_extended", "nombre_orden")
