"""purchase model: the fitted parameters of the portfolio and two new health figures

`recalcular` fits the purchase model (BG/NBD + Gamma-Gamma, contract §8) on the whole
portfolio and keeps its parameters, with their date, beside the VIP threshold; every
client's health row gains `probabilidad_activo` and `compras_esperadas_90_dias`. All
columns are nullable additions: nothing to move, and the downgrade drops them (plain
DROP COLUMN, never a batch rebuild: on SQLite a rebuild of a parent table with foreign
keys on would cascade-delete its children).

Revision ID: 7c4e1a9d2f30
Revises: 5d2a9e4b7c10
Create Date: 2026-12-01 23:00:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "7c4e1a9d2f30"
down_revision: str | None = "5d2a9e4b7c10"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("resumen_cartera", sa.Column("modelo_compras", sa.JSON(), nullable=True))
    op.add_column(
        "salud_cliente_extended", sa.Column("probabilidad_activo", sa.Float(), nullable=True)
    )
    op.add_column(
        "salud_cliente_extended",
        sa.Column("compras_esperadas_90_dias", sa.Float(), nullable=True),
    )


def downgrade() -> None:
    op.drop_column("salud_cliente_extended", "compras_esperadas_90_dias")
    op.drop_column("salud_cliente_extended", "probabilidad_activo")
    op.drop_column("resumen_cartera", "modelo_compras")
