"""portfolio indexes: alerts by severity, unpaid invoices, pipeline sums (issue #6)

Revision ID: 84f59583b97c
Revises: 00406d22376a
Create Date: 2026-11-21 23:36:28.616249+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "84f59583b97c"
down_revision: str | None = "00406d22376a"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_IMPAGADAS = {
    "sqlite_where": sa.text("fecha_pago IS NULL AND anulada IS 0"),
    "postgresql_where": sa.text("fecha_pago IS NULL AND anulada IS false"),
}


def upgrade() -> None:
    op.create_index(
        op.f("ix_alertas_cliente_severidad_rango_cliente_id_posicion"),
        "alertas_cliente",
        ["severidad", "rango", "cliente_id", "posicion"],
        unique=False,
    )
    op.create_index(
        "ix_facturas_ledger_impagadas",
        "facturas_ledger",
        ["fecha_vencimiento", "total"],
        unique=False,
        **_IMPAGADAS,
    )
    op.create_index(
        "ix_oportunidades_extended_pipeline",
        "oportunidades_extended",
        ["estado", "monto_estimado", "probabilidad_cierre"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_oportunidades_extended_pipeline", table_name="oportunidades_extended")
    op.drop_index("ix_facturas_ledger_impagadas", table_name="facturas_ledger")
    op.drop_index(
        op.f("ix_alertas_cliente_severidad_rango_cliente_id_posicion"),
        table_name="alertas_cliente",
    )
