"""portfolio summary with the VIP threshold

Revision ID: 642e426ade52
Revises: 84f59583b97c
Create Date: 2026-11-22 00:05:30.180978+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "642e426ade52"
down_revision: str | None = "84f59583b97c"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "resumen_cartera",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("umbral_vip", sa.Numeric(precision=14, scale=2), nullable=True),
        sa.Column("fecha_calculo", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_resumen_cartera")),
    )


def downgrade() -> None:
    op.drop_table("resumen_cartera")
