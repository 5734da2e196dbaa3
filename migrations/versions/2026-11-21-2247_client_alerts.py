"""client alerts, stored per health refresh for the portfolio views

Revision ID: 00406d22376a
Revises: 07ade64db191
Create Date: 2026-11-21 22:47:31.443402+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "00406d22376a"
down_revision: str | None = "07ade64db191"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "alertas_cliente",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("cliente_id", sa.String(length=64), nullable=False),
        sa.Column("tipo", sa.String(length=40), nullable=False),
        sa.Column("severidad", sa.String(length=10), nullable=False),
        sa.Column("rango", sa.Integer(), nullable=False),
        sa.Column("mensaje", sa.Text(), nullable=False),
        sa.Column("posicion", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["cliente_id"],
            ["clientes_extended.id"],
            name=op.f("fk_alertas_cliente_cliente_id_clientes_extended"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alertas_cliente")),
    )
    with op.batch_alter_table("alertas_cliente", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_alertas_cliente_cliente_id"), ["cliente_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_alertas_cliente_rango_cliente_id_posicion"),
            ["rango", "cliente_id", "posicion"],
            unique=False,
        )
        batch_op.create_index(batch_op.f("ix_alertas_cliente_tipo"), ["tipo"], unique=False)
    # The dashboard lists the invoices expected in the next days.
    with op.batch_alter_table("salud_cliente_extended", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_salud_cliente_extended_fecha_proxima_factura_esperada"),
            ["fecha_proxima_factura_esperada"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("salud_cliente_extended", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_salud_cliente_extended_fecha_proxima_factura_esperada"))
    with op.batch_alter_table("alertas_cliente", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_alertas_cliente_tipo"))
        batch_op.drop_index(batch_op.f("ix_alertas_cliente_rango_cliente_id_posicion"))
        batch_op.drop_index(batch_op.f("ix_alertas_cliente_cliente_id"))

    op.drop_table("alertas_cliente")
