"""a `factura.pagada` settlement keeps the amount the ledger settled it for

A `factura.pagada` event carries no amount: its payment is "the rest" of the invoice on its
day (`facturacion.libro`, step 1). The rest now depends on the payments and credit notes
counted on that day, which the health engines do not read; the settlement computes it and
stores it here, and the engines read it as the payment's amount.

Rows already stored are filled in with the rule they were settled by until now (the
invoice's total less its other live payments), so no figure moves on upgrade; a client's
next event settles its ledger again under the new rule.

Revision ID: 5d2a8c4e9f17
Revises: 8e1f3a5c7b92
Create Date: 2026-12-06 07:30:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "5d2a8c4e9f17"
down_revision: str | None = "8e1f3a5c7b92"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OTROS_VIVOS = (
    "COALESCE((SELECT SUM(c2.importe) FROM cobros_ledger c2 "
    "WHERE c2.factura_id = cobros_ledger.factura_id AND c2.importe IS NOT NULL "
    "AND c2.devuelto = false), 0)"
)


def upgrade() -> None:
    with op.batch_alter_table("cobros_ledger") as tabla:
        tabla.add_column(sa.Column("importe_liquidado", sa.Numeric(14, 2), nullable=True))
    op.execute(
        "UPDATE cobros_ledger SET importe_liquidado = ("
        f"SELECT CASE WHEN f.total > 0 AND f.total - {_OTROS_VIVOS} > 0 "
        f"THEN f.total - {_OTROS_VIVOS} ELSE 0 END "
        "FROM facturas_ledger f WHERE f.factura_id = cobros_ledger.factura_id) "
        "WHERE importe IS NULL"
    )


def downgrade() -> None:
    with op.batch_alter_table("cobros_ledger") as tabla:
        tabla.drop_column("importe_liquidado")
