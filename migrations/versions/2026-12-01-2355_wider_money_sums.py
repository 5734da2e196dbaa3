"""wider money sums: LTV, expected revenue and overdue amount as NUMERIC(20,2)

Each amount is at most 10^11 (12 integer digits, NUMERIC(14,2)), but the sums stored for
a client had the same type: two invoices of 10^11 overflowed the LTV on PostgreSQL (a 500,
and the sender retried it forever). The sums get 18 integer digits. SQLite enforces no
precision (nothing overflows there), so its tables are left as they are: rebuilding
`clientes_extended` in batch mode would fire its ON DELETE CASCADE children.

Revision ID: c7e1d5a09b42
Revises: 9c4e7a2b1d58
Create Date: 2026-12-01 23:30:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "c7e1d5a09b42"
down_revision: str | None = "9c4e7a2b1d58"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SUMAS = {
    "clientes_extended": ("ltv",),
    "salud_cliente_extended": (
        "monto_promedio_factura",
        "ltv_lifetime_value",
        "ingresos_esperados_30_dias",
        "ingresos_esperados_90_dias",
        "importe_vencido",
    ),
    "resumen_cartera": ("umbral_vip",),
}


def _cambiar(desde: sa.Numeric, hasta: sa.Numeric) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for tabla, columnas in SUMAS.items():
        for columna in columnas:
            op.alter_column(tabla, columna, type_=hasta, existing_type=desde)


def upgrade() -> None:
    _cambiar(sa.Numeric(14, 2), sa.Numeric(20, 2))


def downgrade() -> None:
    # Fails (numeric field overflow) if a stored sum no longer fits: nothing is lost silently.
    _cambiar(sa.Numeric(20, 2), sa.Numeric(14, 2))
