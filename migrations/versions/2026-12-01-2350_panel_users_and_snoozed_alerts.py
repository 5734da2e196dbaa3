"""The panel: its users (Argon2 hashes) and the alerts put off until a date.

Revision ID: 9c4e7a2b1d58
Revises: 9a3f5c7e1b42
Create Date: 2026-12-01 23:10:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "9c4e7a2b1d58"
down_revision: str | None = "9a3f5c7e1b42"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "usuarios",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("hash_contrasena", sa.String(length=255), nullable=False),
        sa.Column("activo", sa.Boolean(), nullable=False),
        sa.Column("fecha_creacion", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ultimo_acceso", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_usuarios")),
        sa.UniqueConstraint("email", name=op.f("uq_usuarios_email")),
    )
    op.create_table(
        "alertas_pospuestas",
        sa.Column("cliente_id", sa.String(length=64), nullable=False),
        sa.Column("tipo", sa.String(length=40), nullable=False),
        sa.Column("hasta", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["cliente_id"],
            ["clientes_extended.id"],
            name=op.f("fk_alertas_pospuestas_cliente_id_clientes_extended"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("cliente_id", "tipo", name=op.f("pk_alertas_pospuestas")),
    )


def downgrade() -> None:
    op.drop_table("alertas_pospuestas")
    op.drop_table("usuarios")
