"""folded sector for the client list: accent-insensitive filter, served by an index

The list's `sector` filter compared `lower(sector_industria)`, which SQLite folds for ASCII
only ("CONSTRUCCIÓN" did not find "construcción") and which no index serves, so at 100k
clients the filtered list counted by reading every row of the state. A stored folded copy
with (sector, ltv) and (estado, sector, ltv) indexes fixes both.

Revision ID: 3b1f0c9e7a21
Revises: 642e426ade52
Create Date: 2026-11-22 01:00:00.000000+00:00
"""

import unicodedata
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "3b1f0c9e7a21"
down_revision: str | None = "642e426ade52"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _fold(text: str) -> str:
    # Frozen copy of smartbilling_crm.kit.validators.clave_sector as of this revision.
    decomposed = unicodedata.normalize("NFKD", text.strip())
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()[:100]


def upgrade() -> None:
    op.add_column(
        "clientes_extended", sa.Column("sector_plegado", sa.String(length=100), nullable=True)
    )
    conn = op.get_bind()
    sectores = conn.execute(
        sa.text(
            "SELECT DISTINCT sector_industria FROM clientes_extended "
            "WHERE sector_industria IS NOT NULL"
        )
    ).scalars()
    for sector in list(sectores):
        conn.execute(
            sa.text(
                "UPDATE clientes_extended SET sector_plegado = :plegado "
                "WHERE sector_industria = :sector"
            ),
            {"plegado": _fold(sector), "sector": sector},
        )
    op.drop_index(op.f("ix_clientes_extended_sector_industria"), table_name="clientes_extended")
    op.create_index(
        op.f("ix_clientes_extended_sector_plegado_ltv"),
        "clientes_extended",
        ["sector_plegado", "ltv"],
        unique=False,
    )
    op.create_index(
        op.f("ix_clientes_extended_estado_sector_plegado_ltv"),
        "clientes_extended",
        ["estado", "sector_plegado", "ltv"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_clientes_extended_estado_sector_plegado_ltv"), table_name="clientes_extended"
    )
    op.drop_index(op.f("ix_clientes_extended_sector_plegado_ltv"), table_name="clientes_extended")
    op.create_index(
        op.f("ix_clientes_extended_sector_industria"),
        "clientes_extended",
        ["sector_industria"],
        unique=False,
    )
    # Not batch mode: on SQLite that rebuilds the table, and dropping the old copy with
    # foreign keys on would cascade-delete every contact, activity, invoice... of every
    # client. SQLite >= 3.35 drops a column in place.
    op.drop_column("clientes_extended", "sector_plegado")
