"""receivables running total: the dashboard's ageing bands read a bounded range of due
dates instead of every due date ever open

`cartera_por_fecha` keeps open invoices per due date, and the dashboard summed every one of
those rows at read time to band them by "today": one row per distinct due date still
open, a number that grows with the ledger's history (one a day, forever, for a portfolio
with old unpaid invoices) and, below saturation, with the portfolio. The invoice triggers
now also keep the all-dates total (`contadores_cartera` ('deuda', 'total'): open invoices
and Σ pendiente in cents); the read sums only due dates from "today − 90 days" on (the
four recent bands, at most 91 past days plus the dates not yet due) and takes the oldest
band as the total minus those. Exact for any "today", like before.

The three invoice triggers are recreated with the extra statement (on PostgreSQL as an
appended delta, folded at commit like the others); the upgrade backfills the total from
the ledger. The downgrade restores the triggers without it and drops the row.

Revision ID: 5d2b8e4a9c17
Revises: 7c3e9a1f5b20
Create Date: 2026-12-02 09:30:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "5d2b8e4a9c17"
down_revision: str | None = "7c3e9a1f5b20"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SIN_VENCIMIENTO = "'0001-01-01'"

BACKFILL = (
    "INSERT INTO contadores_cartera (grupo, clave, numero, importe, ponderado) "
    "SELECT 'deuda', 'total', count(*), "
    "CAST(COALESCE(sum(CAST(round(pendiente * 100) AS BIGINT)), 0) AS BIGINT), 0 "
    "FROM facturas_ledger WHERE pendiente > 0 HAVING count(*) > 0"
)


def _cent(expr: str) -> str:
    return f"CAST(round(COALESCE({expr}, 0) * 100) AS BIGINT)"


def _deuda(r: str, s: int, total: bool) -> list[str]:
    """The statements of migration 7c3e9a1f5b20 for one side of an invoice change, plus
    (`total`) the all-dates running total."""
    fecha = f"COALESCE({r}.fecha_vencimiento, {SIN_VENCIMIENTO})"
    sentencias = [
        "INSERT INTO cartera_por_fecha (serie, fecha, numero, importe) "
        f"SELECT 'deuda', {fecha}, {s}, {s} * {_cent(f'{r}.pendiente')} WHERE {r}.pendiente > 0 "
        "ON CONFLICT (serie, fecha) DO UPDATE SET "
        "numero = cartera_por_fecha.numero + excluded.numero, "
        "importe = cartera_por_fecha.importe + excluded.importe;"
    ]
    if s < 0:  # a due date with nothing left open leaves no row behind
        sentencias.append(
            f"DELETE FROM cartera_por_fecha WHERE serie = 'deuda' AND fecha = {fecha} "
            "AND numero = 0;"
        )
    if total:
        sentencias.append(
            "INSERT INTO contadores_cartera (grupo, clave, numero, importe, ponderado) "
            f"SELECT 'deuda', 'total', {s}, {s} * {_cent(f'{r}.pendiente')}, 0 "
            f"WHERE {r}.pendiente > 0 "
            "ON CONFLICT (grupo, clave) DO UPDATE SET "
            "numero = contadores_cartera.numero + excluded.numero, "
            "importe = contadores_cartera.importe + excluded.importe, "
            "ponderado = contadores_cartera.ponderado + excluded.ponderado;"
        )
    return sentencias


def _triggers(total: bool) -> dict[str, tuple[str, dict[str, str] | None, list[str]]]:
    """name → (event, WHEN per dialect or None, statements) of the AFTER triggers on
    `facturas_ledger`."""
    cambio = ("pendiente", "fecha_vencimiento")
    return {
        "crm_contador_factura_alta": ("INSERT", None, _deuda("new", 1, total)),
        "crm_contador_factura_baja": ("DELETE", None, _deuda("old", -1, total)),
        "crm_contador_factura_cambio": (
            "UPDATE OF pendiente, fecha_vencimiento",
            {
                "sqlite": " OR ".join(f"old.{c} IS NOT new.{c}" for c in cambio),
                "postgresql": " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in cambio),
            },
            _deuda("old", -1, total) + _deuda("new", 1, total),
        ),
    }


def _diferida(sql: str) -> str | None:
    """PostgreSQL: a statement as an appended delta (see migration 7c3e9a1f5b20)."""
    if sql.startswith("DELETE"):
        return None  # the fold removes empty due dates
    sql = sql[: sql.index(" ON CONFLICT")] + ";"
    sql = sql.replace("INSERT INTO contadores_cartera (", "INSERT INTO contadores_pendientes (")
    return sql.replace(
        "INSERT INTO cartera_por_fecha (serie, ", "INSERT INTO contadores_pendientes (grupo, "
    )


def _recrear(total: bool) -> None:
    conn = op.get_bind()
    postgresql = conn.dialect.name == "postgresql"
    for nombre, (evento, cuando, sentencias) in _triggers(total).items():
        if postgresql:
            conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS {nombre} ON facturas_ledger")
            conn.exec_driver_sql(f"DROP FUNCTION IF EXISTS {nombre}()")
            cuerpo = "\n    ".join(d for d in map(_diferida, sentencias) if d)
            conn.exec_driver_sql(
                f"CREATE FUNCTION {nombre}() RETURNS trigger LANGUAGE plpgsql AS $$\n"
                f"BEGIN\n    {cuerpo}\n    RETURN NULL;\nEND $$"
            )
            condicion = f" WHEN ({cuando['postgresql']})" if cuando else ""
            conn.exec_driver_sql(
                f"CREATE TRIGGER {nombre} AFTER {evento} ON facturas_ledger FOR EACH ROW"
                f"{condicion} EXECUTE FUNCTION {nombre}()"
            )
        else:
            conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS {nombre}")
            cuerpo = "\n    ".join(sentencias)
            condicion = f" WHEN {cuando['sqlite']}" if cuando else ""
            conn.exec_driver_sql(
                f"CREATE TRIGGER {nombre} AFTER {evento} ON facturas_ledger FOR EACH ROW"
                f"{condicion}\nBEGIN\n    {cuerpo}\nEND"
            )


def upgrade() -> None:
    conn = op.get_bind()
    conn.execute(sa.text("DELETE FROM contadores_cartera WHERE grupo = 'deuda'"))
    conn.exec_driver_sql(BACKFILL)
    _recrear(total=True)


def downgrade() -> None:
    _recrear(total=False)
    op.get_bind().execute(sa.text("DELETE FROM contadores_cartera WHERE grupo = 'deuda'"))
