"""the client list sorted by a health figure walks an index of the health row

The list sorted by `riesgo_perdida_score` or `dias_sin_actividad` outer-joined every
client to its health row and sorted them all to show one page (at 100k clients: 0.6 s on
SQLite, 343 ms on PostgreSQL). It now walks the health row's index on (figure, client)
and joins each client by its key (`clientes.repository`). The single-column indexes on
the two figures served only that sort and become:
- (riesgo_perdida_score, cliente_id);
- (coalesce(dias_sin_actividad, 2147483647), cliente_id): a client never contacted
  sorts as the longest silence, the same expression on both engines (SQLite puts NULL
  first ascending, PostgreSQL last).
The daily recompute keeps writing two indexes on these columns, as before.

Revision ID: 4e8b1c6a9d27
Revises: 9a3d5f7b2e61
Create Date: 2026-12-06 23:00:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "4e8b1c6a9d27"
down_revision: str | None = "9a3d5f7b2e61"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TABLA = "salud_cliente_extended"
# As `models.salud.SILENCIO_SIN_CONTACTO` today, written out: a migration does not change
# with the code.
_SILENCIO = sa.text("coalesce(dias_sin_actividad, 2147483647)")


def upgrade() -> None:
    op.create_index(
        "ix_salud_cliente_extended_riesgo_lista",
        _TABLA,
        ["riesgo_perdida_score", "cliente_id"],
        unique=False,
    )
    op.create_index(
        "ix_salud_cliente_extended_silencio_lista", _TABLA, [_SILENCIO, "cliente_id"], unique=False
    )
    op.drop_index(op.f("ix_salud_cliente_extended_riesgo_perdida_score"), table_name=_TABLA)
    op.drop_index(op.f("ix_salud_cliente_extended_dias_sin_actividad"), table_name=_TABLA)


def downgrade() -> None:
    op.create_index(
        op.f("ix_salud_cliente_extended_dias_sin_actividad"),
        _TABLA,
        ["dias_sin_actividad"],
        unique=False,
    )
    op.create_index(
        op.f("ix_salud_cliente_extended_riesgo_perdida_score"),
        _TABLA,
        ["riesgo_perdida_score"],
        unique=False,
    )
    op.drop_index("ix_salud_cliente_extended_silencio_lista", table_name=_TABLA)
    op.drop_index("ix_salud_cliente_extended_riesgo_lista", table_name=_TABLA)
