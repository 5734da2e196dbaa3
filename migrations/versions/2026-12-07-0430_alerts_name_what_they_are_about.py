"""an alert names the invoice, task or deal it is about

Hoy told one overdue invoice, task or stalled deal of a client from another by the alert's
text without its day count: a partial payment, an edited amount or a new reason changed
the text, and a snoozed alert came back before its day; "Hecho" on an overdue task looked
the task up by its title and due day. Alerts now carry the id of what they are about
(`referencia_id`). Rows stored before stay NULL until the client's next refresh or the
next daily recompute, which fills them in (Hoy still reads their text meanwhile).

Revision ID: 5d1f7b3e9c60
Revises: 7c2e9a41d5b3
Create Date: 2026-12-07 04:30:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "5d1f7b3e9c60"
down_revision: str | None = "7c2e9a41d5b3"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# Plain ALTER TABLE on both engines, not a batch: on SQLite a batch's drop_column rebuilds
# the table, and the rebuild dropped its three counter triggers (the dashboard's alert
# counts then drifted for good). SQLite 3.35+ drops a column in place.


def upgrade() -> None:
    op.add_column("alertas_cliente", sa.Column("referencia_id", sa.String(length=64)))


def downgrade() -> None:
    op.drop_column("alertas_cliente", "referencia_id")
