"""stored health reads: the recommendations a client shows, kept with its health row

The client 360, `/salud`, `/recomendaciones` and the panel read the stored health row
instead of running the engines on every request (issue #14). The row already held the
metrics and the alerts live in `alertas_cliente`; what was missing is the rest of the
recommendations: the suggested opportunities and the concrete actions. They are kept here
as one JSON document, written by the same refresh that writes the row.

Existing rows get NULL: a row without recommendations counts as stale, so the first read of
that client recomputes and stores it (the lazy path), as does the next daily recompute.

Revision ID: 7c3e9a1d5b20
Revises: 4f8b2c6d1e93
Create Date: 2026-12-02 06:00:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "7c3e9a1d5b20"
down_revision: str | None = "4f8b2c6d1e93"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("salud_cliente_extended", sa.Column("recomendaciones", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("salud_cliente_extended") as batch:
        batch.drop_column("recomendaciones")
