"""a health row counts its writes: the stamp a kept client 360 is checked against

Every write of a client's health row adds one to `version` (the touched-client effect of
every change, the daily recompute, the first read of a day). A client 360 built when the
row had version v is still the client's 360 while it has (`clientes.cache`). Rows already
stored start at 0.

Revision ID: 3b7e1d9a2c44
Revises: 5d2a8c4e9f17
Create Date: 2026-12-06 09:30:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "3b7e1d9a2c44"
down_revision: str | None = "5d2a8c4e9f17"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# Plain ALTER TABLE on both databases: a batch copy of the table would trip SQLite over
# the counter triggers that name it.
def upgrade() -> None:
    op.add_column(
        "salud_cliente_extended",
        sa.Column("version", sa.Integer(), nullable=False, server_default="0"),
    )


def downgrade() -> None:
    op.execute("ALTER TABLE salud_cliente_extended DROP COLUMN version")
