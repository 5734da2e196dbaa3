"""default due date: invoices stored without one are due 30 days after issue

An invoice without a due date was never overdue (200 days unpaid read "paga bien"). The
intake now stores issue + CRM_PLAZO_PAGO_DIAS (30 by default, Ley 3/2004); this fills the
rows stored before, with the default 30 days, in Python so both databases compute the same
date. The downgrade leaves the dates: they are facts now, and the old code reads them as
given due dates.

Revision ID: 9a3f5c7e1b42
Revises: 7c4e1a9d2f30
Create Date: 2026-12-01 23:40:00.000000+00:00
"""

from collections.abc import Sequence
from datetime import timedelta

import sqlalchemy as sa
from alembic import op

revision: str = "9a3f5c7e1b42"
down_revision: str | None = "7c4e1a9d2f30"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PLAZO = timedelta(days=30)
LOTE = 1000

facturas = sa.table(
    "facturas_ledger",
    sa.column("factura_id", sa.String),
    sa.column("fecha_emision", sa.Date),
    sa.column("fecha_vencimiento", sa.Date),
)


def upgrade() -> None:
    conn = op.get_bind()
    while True:
        filas = conn.execute(
            sa.select(facturas.c.factura_id, facturas.c.fecha_emision)
            .where(facturas.c.fecha_vencimiento.is_(None))
            .limit(LOTE)
        ).all()
        if not filas:
            break
        for factura_id, emision in filas:
            conn.execute(
                facturas.update()
                .where(facturas.c.factura_id == factura_id)
                .values(fecha_vencimiento=emision + PLAZO)
            )


def downgrade() -> None:
    pass
