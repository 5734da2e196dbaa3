"""a snoozed alert is that alert, not every alert of its type

Hoy's "Posponer" and "Hecho" hid every alert of the type for the client: putting off one
overdue invoice hid the client's other overdue invoices, and any that fell overdue later,
critical ones included. A snooze now carries the alert's key (`clave`, the text without
its day count, for the types a client can have several of) and its severity's rank when
put off (`rango`: a more urgent one shows again at once); the rows made before keep an
empty key, which still means the whole type, and no rank, until they expire (30 days at
most).

Revision ID: 7c2e9a41d5b3
Revises: 4e8b1c6a9d27
Create Date: 2026-12-07 02:30:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "7c2e9a41d5b3"
down_revision: str | None = "4e8b1c6a9d27"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("alertas_pospuestas") as batch:
        batch.add_column(
            sa.Column("clave", sa.String(length=300), nullable=False, server_default="")
        )
        batch.add_column(sa.Column("rango", sa.Integer(), nullable=True))
        batch.drop_constraint("pk_alertas_pospuestas", type_="primary")
        batch.create_primary_key("pk_alertas_pospuestas", ["cliente_id", "tipo", "clave"])


def downgrade() -> None:
    # One snooze per client and type again: the per-alert ones go (their alerts show again).
    op.execute("DELETE FROM alertas_pospuestas WHERE clave <> ''")
    with op.batch_alter_table("alertas_pospuestas") as batch:
        batch.drop_constraint("pk_alertas_pospuestas", type_="primary")
        batch.create_primary_key("pk_alertas_pospuestas", ["cliente_id", "tipo"])
        batch.drop_column("rango")
        batch.drop_column("clave")
