"""receivables ledger: payments by id, credit notes that settle, versions (contract §7)

- `cobros_ledger`: each payment of an invoice by its SmartBilling id, returned ones
  kept (`devuelto`). Every invoice stored as paid (`fecha_pago`) gets its payment
  "{factura_id}/pagada" on that date with no amount: it settles the rest of the invoice,
  exactly what `fecha_pago` meant before.
- `facturas_ledger` gains `rectifica` and `version` (from the sender) and `pendiente`
  and `credito_aplicado` (derived). They are filled here with the ledger's rules as of
  this revision (copied below: a revision must not change with the app): a paid invoice
  owes nothing; credit notes settle the client's open invoices oldest first (old events
  never named the invoice they correct).
- The partial index of unpaid invoices becomes one of open invoices (`pendiente > 0`).
- `salud_cliente_extended` gains the payment figures of §7; `porcentaje_pagos_a_tiempo`
  becomes nullable (no history is null, not 100). That is a batch rebuild on SQLite of a
  table nothing refers to, so no cascade can fire.
- `resumen_cartera.prior_pagos`: the portfolio's late-payment prior.

Downgrade drops what was added; payments recorded as `factura.cobro` since are lost to it
(the old schema cannot hold them), full payments survive as `fecha_pago`.

Revision ID: 4b8d2f6a1c93
Revises: 9a4c2e7f1d63
Create Date: 2026-12-02 03:00:00.000000+00:00
"""

from collections import defaultdict
from collections.abc import Sequence
from decimal import Decimal

import sqlalchemy as sa
from alembic import op

revision: str = "4b8d2f6a1c93"
down_revision: str | None = "9a4c2e7f1d63"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CERO = Decimal("0.00")
LOTE = 2000


def _dinero(nombre: str) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(nombre, sa.Numeric(14, 2), nullable=False, server_default="0")


def _suma(nombre: str) -> sa.Column:  # type: ignore[type-arg]
    tipo = sa.Numeric(20, 2).with_variant(sa.Numeric(14, 2), "sqlite")
    return sa.Column(nombre, tipo, nullable=False, server_default="0")


def upgrade() -> None:
    op.create_table(
        "cobros_ledger",
        sa.Column("cobro_id", sa.String(160), nullable=False),
        sa.Column("factura_id", sa.String(64), nullable=False),
        sa.Column("cliente_id", sa.String(64), nullable=False),
        sa.Column("fecha", sa.Date(), nullable=True),
        sa.Column("importe", sa.Numeric(14, 2), nullable=True),
        sa.Column("devuelto", sa.Boolean(), nullable=False),
        sa.Column("fecha_devolucion", sa.Date(), nullable=True),
        sa.Column("fecha_creacion", sa.DateTime(timezone=True), nullable=False),
        sa.Column("fecha_actualizacion", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["cliente_id"],
            ["clientes_extended.id"],
            name=op.f("fk_cobros_ledger_cliente_id_clientes_extended"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["factura_id"],
            ["facturas_ledger.factura_id"],
            name=op.f("fk_cobros_ledger_factura_id_facturas_ledger"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("cobro_id", name=op.f("pk_cobros_ledger")),
    )
    op.create_index(op.f("ix_cobros_ledger_cliente_id"), "cobros_ledger", ["cliente_id"])
    op.create_index(op.f("ix_cobros_ledger_factura_id"), "cobros_ledger", ["factura_id"])

    op.add_column("facturas_ledger", sa.Column("rectifica", sa.String(64), nullable=True))
    op.add_column("facturas_ledger", sa.Column("version", sa.BigInteger(), nullable=True))
    op.add_column("facturas_ledger", _dinero("credito_aplicado"))
    op.add_column("facturas_ledger", _dinero("pendiente"))
    op.drop_index("ix_facturas_ledger_impagadas", table_name="facturas_ledger")
    # Unpaid meant `fecha_pago IS NULL`; open is now `pendiente > 0` (the index below).
    op.drop_index(
        "ix_facturas_ledger_fecha_vencimiento_fecha_pago_anulada", table_name="facturas_ledger"
    )

    _mover_datos()

    op.create_index(
        "ix_facturas_ledger_abiertas",
        "facturas_ledger",
        ["fecha_vencimiento", "pendiente"],
        sqlite_where=sa.text("pendiente > 0"),
        postgresql_where=sa.text("pendiente > 0"),
    )
    op.add_column("salud_cliente_extended", _suma("importe_pendiente"))
    op.add_column("salud_cliente_extended", _suma("saldo_a_favor"))
    for nombre, tipo in (
        ("antiguedad_deuda", sa.JSON()),
        ("dso_dias", sa.Float()),
        ("dias_medios_de_retraso", sa.Float()),
        ("probabilidad_pago_tardio", sa.Float()),
    ):
        op.add_column("salud_cliente_extended", sa.Column(nombre, tipo, nullable=True))
    with op.batch_alter_table("salud_cliente_extended") as batch_op:
        batch_op.alter_column("porcentaje_pagos_a_tiempo", existing_type=sa.Float(), nullable=True)
    op.add_column("resumen_cartera", sa.Column("prior_pagos", sa.JSON(), nullable=True))


def _mover_datos() -> None:
    conn = op.get_bind()
    facturas = sa.table(
        "facturas_ledger",
        sa.column("factura_id"),
        sa.column("cliente_id"),
        sa.column("fecha_emision"),
        sa.column("total", sa.Numeric(14, 2)),
        sa.column("fecha_pago", sa.Date()),
        sa.column("anulada", sa.Boolean()),
        sa.column("pendiente", sa.Numeric(14, 2)),
        sa.column("credito_aplicado", sa.Numeric(14, 2)),
    )
    cobros = sa.table(
        "cobros_ledger",
        sa.column("cobro_id"),
        sa.column("factura_id"),
        sa.column("cliente_id"),
        sa.column("fecha"),
        sa.column("importe"),
        sa.column("devuelto"),
        sa.column("fecha_creacion"),
        sa.column("fecha_actualizacion"),
    )
    ahora = sa.func.current_timestamp()
    conn.execute(
        cobros.insert().from_select(
            [
                "cobro_id",
                "factura_id",
                "cliente_id",
                "fecha",
                "importe",
                "devuelto",
                "fecha_creacion",
                "fecha_actualizacion",
            ],
            sa.select(
                facturas.c.factura_id + "/pagada",
                facturas.c.factura_id,
                facturas.c.cliente_id,
                facturas.c.fecha_pago,
                sa.null(),
                sa.false(),
                ahora,
                ahora,
            ).where(facturas.c.fecha_pago.is_not(None)),
        )
    )
    filas = conn.execute(
        sa.select(
            facturas.c.factura_id,
            facturas.c.cliente_id,
            facturas.c.total,
            facturas.c.fecha_pago,
            facturas.c.anulada,
        ).order_by(facturas.c.cliente_id, facturas.c.fecha_emision, facturas.c.factura_id)
    ).all()
    por_cliente: dict[str, list[sa.Row]] = defaultdict(list)  # type: ignore[type-arg]
    for fila in filas:
        por_cliente[fila.cliente_id].append(fila)
    cambios: list[dict[str, object]] = []
    for propias in por_cliente.values():
        debe: dict[str, Decimal] = {}
        credito_de: dict[str, Decimal] = {}
        creditos: list[Decimal] = []
        for fila in propias:  # oldest first
            total = Decimal(fila.total)
            if fila.anulada:
                continue
            if total > 0:
                debe[fila.factura_id] = CERO if fila.fecha_pago is not None else total
            elif total < 0:
                creditos.append(-total)
        for credito in creditos:
            for factura_id, resto in debe.items():
                if credito <= 0:
                    break
                usado = min(credito, resto)
                if usado > 0:
                    debe[factura_id] = resto - usado
                    credito_de[factura_id] = credito_de.get(factura_id, CERO) + usado
                    credito -= usado
        for factura_id, resto in debe.items():
            if resto or factura_id in credito_de:
                cambios.append(
                    {
                        "b_id": factura_id,
                        "b_pendiente": resto,
                        "b_credito": credito_de.get(factura_id, CERO),
                    }
                )
    actualizar = (
        facturas.update()
        .where(facturas.c.factura_id == sa.bindparam("b_id"))
        .values(pendiente=sa.bindparam("b_pendiente"), credito_aplicado=sa.bindparam("b_credito"))
    )
    for inicio in range(0, len(cambios), LOTE):
        conn.execute(actualizar, cambios[inicio : inicio + LOTE])


def downgrade() -> None:
    op.drop_column("resumen_cartera", "prior_pagos")
    conn = op.get_bind()
    conn.execute(
        sa.text(
            "UPDATE salud_cliente_extended SET porcentaje_pagos_a_tiempo = 100 "
            "WHERE porcentaje_pagos_a_tiempo IS NULL"
        )
    )
    with op.batch_alter_table("salud_cliente_extended") as batch_op:
        batch_op.alter_column("porcentaje_pagos_a_tiempo", existing_type=sa.Float(), nullable=False)
    for nombre in (
        "probabilidad_pago_tardio",
        "dias_medios_de_retraso",
        "dso_dias",
        "antiguedad_deuda",
        "saldo_a_favor",
        "importe_pendiente",
    ):
        op.drop_column("salud_cliente_extended", nombre)
    op.drop_index("ix_facturas_ledger_abiertas", table_name="facturas_ledger")
    op.create_index(
        "ix_facturas_ledger_impagadas",
        "facturas_ledger",
        ["fecha_vencimiento", "total"],
        sqlite_where=sa.text("fecha_pago IS NULL AND anulada IS 0"),
        postgresql_where=sa.text("fecha_pago IS NULL AND anulada IS false"),
    )
    op.create_index(
        "ix_facturas_ledger_fecha_vencimiento_fecha_pago_anulada",
        "facturas_ledger",
        ["fecha_vencimiento", "fecha_pago", "anulada"],
    )
    for nombre in ("pendiente", "credito_aplicado", "version", "rectifica"):
        op.drop_column("facturas_ledger", nombre)
    op.drop_index(op.f("ix_cobros_ledger_factura_id"), table_name="cobros_ledger")
    op.drop_index(op.f("ix_cobros_ledger_cliente_id"), table_name="cobros_ledger")
    op.drop_table("cobros_ledger")
