"""counter fold in key order: two transactions committing at once lock the counter rows
they share in the same order, so they queue instead of deadlocking

On PostgreSQL the triggers append deltas to `contadores_pendientes` and the deferred
`crm_contadores_plegar()` folds them at commit (migration 7c3e9a1f5b20). Its upserts
locked the counter rows in the order their GROUP BY emitted them, and a HashAggregate
emits groups in hash-table order: two keys in the same bucket come out in the order the
transaction wrote their deltas. Two transactions touching two such due dates (or counter
keys) in opposite orders, committing at the same moment, each locked one row and waited
for the other's: one of them failed at COMMIT with a deadlock (a webhook or an edit
answered 500 after its work was done).

The fold now takes every row lock in one fixed order: `contadores_cartera` by (grupo,
clave), then `cartera_por_fecha` by (serie, fecha) (`ORDER BY` on each upsert's SELECT;
the two upserts are separate statements, as the order of data-modifying CTEs of one
statement is unspecified), then it deletes only the 'deuda' dates its own upsert left at
zero, rows it already holds, instead of scanning every 'deuda' row for zeros (which
could wait on a row in another order). Every fold removes the zero rows it makes, so
the committed table never holds one and both deletes remove the same rows; the upgrade
clears any there might be, once. Totals are the same as before.

`CREATE OR REPLACE FUNCTION` keeps the function's identity, so the constraint trigger
on `contadores_pendientes` runs the new body; the downgrade restores the previous body.
SQLite serialises writers and its triggers add to the totals directly: nothing to do.

Revision ID: 2b7f4c9e1a63
Revises: 5d2b8e4a9c17
Create Date: 2026-12-02 13:15:00.000000+00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "2b7f4c9e1a63"
down_revision: str | None = "5d2b8e4a9c17"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The body installed by migration 7c3e9a1f5b20 (its PLEGAR), copied verbatim rather than
# imported: a migration must keep meaning what it meant when it was written, whatever
# later edits the other file gets, and Alembic's version files are not an importable
# package.
PLEGAR_ANTERIOR = """
CREATE OR REPLACE FUNCTION crm_contadores_plegar() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('crm.contadores_plegados', true) = txid_current()::text THEN
        RETURN NULL;
    END IF;
    PERFORM set_config('crm.contadores_plegados', txid_current()::text, true);
    WITH d AS (
        DELETE FROM contadores_pendientes
        RETURNING grupo, clave, fecha, numero, importe, ponderado
    ), c AS (
        INSERT INTO contadores_cartera (grupo, clave, numero, importe, ponderado)
        SELECT grupo, clave, sum(numero), sum(importe), COALESCE(sum(ponderado), 0)
        FROM d WHERE fecha IS NULL GROUP BY grupo, clave
        ON CONFLICT (grupo, clave) DO UPDATE SET
            numero = contadores_cartera.numero + excluded.numero,
            importe = contadores_cartera.importe + excluded.importe,
            ponderado = contadores_cartera.ponderado + excluded.ponderado
    )
    INSERT INTO cartera_por_fecha (serie, fecha, numero, importe)
    SELECT grupo, fecha, sum(numero), sum(importe) FROM d WHERE fecha IS NOT NULL
    GROUP BY grupo, fecha
    ON CONFLICT (serie, fecha) DO UPDATE SET
        numero = cartera_por_fecha.numero + excluded.numero,
        importe = cartera_por_fecha.importe + excluded.importe;
    DELETE FROM cartera_por_fecha WHERE serie = 'deuda' AND numero = 0;
    RETURN NULL;
END $$;
"""

# Lock order: contadores_cartera by (grupo, clave), cartera_por_fecha by (serie, fecha),
# then only rows this fold already holds. Each DELETE FROM contadores_pendientes sees this
# transaction's own deltas only (others' are uncommitted, and committed ones were folded
# by the transaction that wrote them), so it never waits; together they take every row.
PLEGAR = """
CREATE OR REPLACE FUNCTION crm_contadores_plegar() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    vacias date[];
BEGIN
    IF current_setting('crm.contadores_plegados', true) = txid_current()::text THEN
        RETURN NULL;
    END IF;
    PERFORM set_config('crm.contadores_plegados', txid_current()::text, true);
    WITH d AS (
        DELETE FROM contadores_pendientes WHERE fecha IS NULL
        RETURNING grupo, clave, numero, importe, ponderado
    )
    INSERT INTO contadores_cartera (grupo, clave, numero, importe, ponderado)
    SELECT grupo, clave, sum(numero), sum(importe), COALESCE(sum(ponderado), 0)
    FROM d GROUP BY grupo, clave
    ORDER BY grupo, clave
    ON CONFLICT (grupo, clave) DO UPDATE SET
        numero = contadores_cartera.numero + excluded.numero,
        importe = contadores_cartera.importe + excluded.importe,
        ponderado = contadores_cartera.ponderado + excluded.ponderado;
    WITH d AS (
        DELETE FROM contadores_pendientes WHERE fecha IS NOT NULL
        RETURNING grupo, fecha, numero, importe
    ), f AS (
        INSERT INTO cartera_por_fecha (serie, fecha, numero, importe)
        SELECT grupo, fecha, sum(numero), sum(importe)
        FROM d GROUP BY grupo, fecha
        ORDER BY grupo, fecha
        ON CONFLICT (serie, fecha) DO UPDATE SET
            numero = cartera_por_fecha.numero + excluded.numero,
            importe = cartera_por_fecha.importe + excluded.importe
        RETURNING serie, fecha, numero
    )
    SELECT array_agg(f.fecha ORDER BY f.fecha) INTO vacias
    FROM f WHERE f.serie = 'deuda' AND f.numero = 0;
    IF vacias IS NOT NULL THEN
        DELETE FROM cartera_por_fecha
        WHERE serie = 'deuda' AND fecha = ANY (vacias) AND numero = 0;
    END IF;
    RETURN NULL;
END $$;
"""


def upgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name != "postgresql":
        return
    conn.exec_driver_sql(PLEGAR)
    # What the former fold's whole-table delete would have caught (none is expected).
    conn.exec_driver_sql("DELETE FROM cartera_por_fecha WHERE serie = 'deuda' AND numero = 0")


def downgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name != "postgresql":
        return
    conn.exec_driver_sql(PLEGAR_ANTERIOR)
