"""resumable recompute: where the daily `recalcular` stands

`recalcular` commits batch by batch; this one-row table keeps the last committed client
id, the run's business day and the instant of its portfolio fit, so a run killed half
way and started again the same day carries on where it stopped. A new table: the
downgrade drops it.

Revision ID: 9a3d5e7f1b24
Revises: 4f8b2c6d1e93
Create Date: 2026-12-02 06:10:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "9a3d5e7f1b24"
down_revision: str | None = "7c3e9a1d5b20"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "recalculo_progreso",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("fecha_calculo", sa.Date(), nullable=False),
        sa.Column("ajuste", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ultimo_cliente_id", sa.String(length=64), nullable=True),
        sa.Column("clientes", sa.Integer(), nullable=False),
        sa.Column("completado", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recalculo_progreso")),
    )


def downgrade() -> None:
    op.drop_table("recalculo_progreso")
