"""invoice ledger and processed webhook events

Revision ID: 07ade64db191
Revises: 5e39f3162c89
Create Date: 2026-11-21 22:36:47.373113+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "07ade64db191"
down_revision: str | None = "5e39f3162c89"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "webhook_eventos",
        sa.Column("webhook_id", sa.String(length=255), nullable=False),
        sa.Column("tipo", sa.String(length=32), nullable=False),
        sa.Column("factura_id", sa.String(length=64), nullable=False),
        sa.Column("recibido", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("webhook_id", name=op.f("pk_webhook_eventos")),
    )
    with op.batch_alter_table("webhook_eventos", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_webhook_eventos_recibido"), ["recibido"], unique=False)

    op.create_table(
        "facturas_ledger",
        sa.Column("factura_id", sa.String(length=64), nullable=False),
        sa.Column("cliente_id", sa.String(length=64), nullable=False),
        sa.Column("numero", sa.String(length=64), nullable=False),
        sa.Column("fecha_emision", sa.Date(), nullable=False),
        sa.Column("fecha_vencimiento", sa.Date(), nullable=True),
        sa.Column("base_imponible", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("total", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("moneda", sa.String(length=3), nullable=False),
        sa.Column("fecha_pago", sa.Date(), nullable=True),
        sa.Column("anulada", sa.Boolean(), nullable=False),
        sa.Column("fecha_creacion", sa.DateTime(timezone=True), nullable=False),
        sa.Column("fecha_actualizacion", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["cliente_id"],
            ["clientes_extended.id"],
            name=op.f("fk_facturas_ledger_cliente_id_clientes_extended"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("factura_id", name=op.f("pk_facturas_ledger")),
    )
    with op.batch_alter_table("facturas_ledger", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_facturas_ledger_cliente_id_fecha_emision"),
            ["cliente_id", "fecha_emision"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_facturas_ledger_fecha_vencimiento_fecha_pago_anulada"),
            ["fecha_vencimiento", "fecha_pago", "anulada"],
            unique=False,
        )

    # The health row gains what the ledger tells about overdue invoices.
    with op.batch_alter_table("salud_cliente_extended", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("facturas_vencidas", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(
            sa.Column(
                "importe_vencido",
                sa.Numeric(precision=14, scale=2),
                nullable=False,
                server_default="0",
            )
        )

    with op.batch_alter_table("actividades_extended", schema=None) as batch_op:
        batch_op.add_column(sa.Column("factura_id", sa.String(length=64), nullable=True))
        batch_op.create_index(
            "uq_actividades_extended_factura_id_tipo",
            ["factura_id", "tipo"],
            unique=True,
            sqlite_where=sa.text("factura_id IS NOT NULL"),
            postgresql_where=sa.text("factura_id IS NOT NULL"),
        )


def downgrade() -> None:
    with op.batch_alter_table("salud_cliente_extended", schema=None) as batch_op:
        batch_op.drop_column("importe_vencido")
        batch_op.drop_column("facturas_vencidas")

    with op.batch_alter_table("actividades_extended", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_actividades_extended_factura_id_tipo",
            sqlite_where=sa.text("factura_id IS NOT NULL"),
            postgresql_where=sa.text("factura_id IS NOT NULL"),
        )
        batch_op.drop_column("factura_id")

    with op.batch_alter_table("facturas_ledger", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_facturas_ledger_fecha_vencimiento_fecha_pago_anulada"))
        batch_op.drop_index(batch_op.f("ix_facturas_ledger_cliente_id_fecha_emision"))

    op.drop_table("facturas_ledger")
    with op.batch_alter_table("webhook_eventos", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_webhook_eventos_recibido"))

    op.drop_table("webhook_eventos")
