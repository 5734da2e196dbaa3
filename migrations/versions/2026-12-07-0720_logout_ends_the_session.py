"""logging out ends the account's sessions on the server

The panel's session is a signed cookie, and "Salir" only cleared the browser's copy: a
copy kept elsewhere stayed valid until it expired (12 hours). An account now counts its
closings ("Salir"); a session carries the count it was opened at, and one opened before
the last closing is refused. 0 (every row here): none closed yet.

Revision ID: 8b3d6f0a2c71
Revises: 5d1f7b3e9c60
Create Date: 2026-12-07 07:20:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "8b3d6f0a2c71"
down_revision: str | None = "5d1f7b3e9c60"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "usuarios",
        sa.Column("cierres_de_sesion", sa.Integer(), server_default="0", nullable=False),
    )


def downgrade() -> None:
    op.drop_column("usuarios", "cierres_de_sesion")
