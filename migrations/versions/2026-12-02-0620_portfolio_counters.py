"""portfolio counters: running totals kept by triggers, so the dashboard and the alert
list read a few rows instead of aggregating the whole portfolio

`contadores_cartera` holds one row per (grupo, clave): clients per state with Σ LTV,
Σ expected revenue at 30/90 days of the health rows, opportunities per stage with Σ amount
and Σ amount × probability, alerts per (severity, type). `cartera_por_fecha` holds totals
that depend on "today", by date, so bands are summed at read time over a bounded number of
date rows: open invoices (`pendiente > 0`) per due date with Σ pendiente, and clients that
are neither dormant nor lost per next expected invoice date. Two indexes on the health rows
let the dashboard's top lists (most at risk, next expected invoices) stop after their first
rows instead of sorting every tie of the first score or date.

Triggers on `clientes_extended`, `salud_cliente_extended`, `alertas_cliente`,
`oportunidades_extended` and `facturas_ledger` keep both exact whoever writes (invoice
hook, API, `recalcular`, GDPR erasure with its cascades, CSV import, bulk SQL). The same
statement bodies run in SQLite triggers and in PL/pgSQL trigger functions; updates fire
only when a counted column changes (`WHEN`). Amounts are integers: round(x × 100) per
row, exactly what the former aggregates summed.

A client's expected invoice counts when both its row and its health row exist and the
client is not dormant or lost: whichever of the two is deleted first takes it away (the
client's trigger runs BEFORE its delete, so its cascaded health row finds it gone).

The upgrade backfills both tables from the existing rows. PostgreSQL's TRUNCATE fires no
row triggers: truncate these tables along with the others.

Revision ID: 7c3e9a1f5b20
Revises: 4f8b2c6d1e93
Create Date: 2026-12-02 06:20:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "7c3e9a1f5b20"
down_revision: str | None = "9a3d5e7f1b24"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INACTIVOS = "('cliente_dormido', 'cliente_perdido')"
SIN_VENCIMIENTO = "'0001-01-01'"


def _cent(expr: str) -> str:
    return f"CAST(round(COALESCE({expr}, 0) * 100) AS BIGINT)"


def _importe_oportunidad(r: str) -> str:
    return (
        f"CASE WHEN {r}.estado = 'ganada' AND {r}.valor_ganado IS NOT NULL "
        f"THEN {r}.valor_ganado ELSE {r}.monto_estimado END"
    )


def _contar(grupo: str, clave: str, n: str, importe: str = "0", ponderado: str = "0") -> str:
    return (
        "INSERT INTO contadores_cartera (grupo, clave, numero, importe, ponderado) "
        f"VALUES ({grupo}, {clave}, {n}, {importe}, {ponderado}) "
        "ON CONFLICT (grupo, clave) DO UPDATE SET "
        "numero = contadores_cartera.numero + excluded.numero, "
        "importe = contadores_cartera.importe + excluded.importe, "
        "ponderado = contadores_cartera.ponderado + excluded.ponderado;"
    )


def _por_fecha(select: str) -> str:
    """`select` yields (serie, fecha, numero, importe) and has a WHERE clause (SQLite
    needs one before ON CONFLICT in INSERT ... SELECT)."""
    return (
        f"INSERT INTO cartera_por_fecha (serie, fecha, numero, importe) {select} "
        "ON CONFLICT (serie, fecha) DO UPDATE SET "
        "numero = cartera_por_fecha.numero + excluded.numero, "
        "importe = cartera_por_fecha.importe + excluded.importe;"
    )


def _cliente(r: str, s: int) -> list[str]:
    return [_contar("'clientes'", f"{r}.estado", str(s), f"{s} * {_cent(f'{r}.ltv')}")]


def _esperada_de_cliente(r: str, s: int) -> list[str]:
    return [
        _por_fecha(
            f"SELECT 'esperada', sc.fecha_proxima_factura_esperada, {s}, 0 "
            f"FROM salud_cliente_extended sc WHERE sc.cliente_id = {r}.id "
            f"AND sc.fecha_proxima_factura_esperada IS NOT NULL "
            f"AND {r}.estado NOT IN {INACTIVOS}"
        )
    ]


def _ingresos(r: str, s: int) -> list[str]:
    return [
        _contar("'ingresos'", "'30'", str(s), f"{s} * {_cent(f'{r}.ingresos_esperados_30_dias')}"),
        _contar("'ingresos'", "'90'", str(s), f"{s} * {_cent(f'{r}.ingresos_esperados_90_dias')}"),
    ]


def _esperada_de_salud(r: str, s: int) -> list[str]:
    return [
        _por_fecha(
            f"SELECT 'esperada', {r}.fecha_proxima_factura_esperada, {s}, 0 "
            f"FROM clientes_extended c WHERE c.id = {r}.cliente_id "
            f"AND {r}.fecha_proxima_factura_esperada IS NOT NULL "
            f"AND c.estado NOT IN {INACTIVOS}"
        )
    ]


def _alerta(r: str, s: int) -> list[str]:
    return [_contar("'alertas'", f"{r}.severidad || '|' || {r}.tipo", str(s))]


def _oportunidad(r: str, s: int) -> list[str]:
    importe = _cent(_importe_oportunidad(r))
    return [
        _contar(
            "'oportunidades'",
            f"{r}.estado",
            str(s),
            f"{s} * {importe}",
            f"{s} * {importe} * COALESCE({r}.probabilidad_cierre, 0)",
        )
    ]


def _deuda(r: str, s: int) -> list[str]:
    fecha = f"COALESCE({r}.fecha_vencimiento, {SIN_VENCIMIENTO})"
    sentencias = [
        _por_fecha(
            f"SELECT 'deuda', {fecha}, {s}, {s} * {_cent(f'{r}.pendiente')} WHERE {r}.pendiente > 0"
        )
    ]
    if s < 0:  # a due date with nothing left open leaves no row behind
        sentencias.append(
            f"DELETE FROM cartera_por_fecha WHERE serie = 'deuda' AND fecha = {fecha} "
            "AND numero = 0;"
        )
    return sentencias


def _cambio(*columnas: str) -> dict[str, str]:
    """The WHEN condition "one of these columns changed", per dialect."""
    return {
        "sqlite": " OR ".join(f"old.{c} IS NOT new.{c}" for c in columnas),
        "postgresql": " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in columnas),
    }


# name → (table, timing, event, WHEN per dialect or None, statements)
Trigger = tuple[str, str, str, dict[str, str] | None, list[str]]

TRIGGERS: dict[str, Trigger] = {
    "crm_contador_cliente_alta": (
        "clientes_extended", "AFTER", "INSERT", None, _cliente("new", 1),
    ),
    "crm_contador_cliente_baja": (
        "clientes_extended", "BEFORE", "DELETE", None,
        _cliente("old", -1) + _esperada_de_cliente("old", -1),
    ),
    "crm_contador_cliente_cambio": (
        "clientes_extended", "AFTER", "UPDATE OF estado, ltv", _cambio("estado", "ltv"),
        _cliente("old", -1) + _cliente("new", 1),
    ),
    "crm_contador_cliente_estado": (
        "clientes_extended", "AFTER", "UPDATE OF estado", _cambio("estado"),
        _esperada_de_cliente("old", -1) + _esperada_de_cliente("new", 1),
    ),
    "crm_contador_salud_alta": (
        "salud_cliente_extended", "AFTER", "INSERT", None,
        _ingresos("new", 1) + _esperada_de_salud("new", 1),
    ),
    "crm_contador_salud_baja": (
        "salud_cliente_extended", "AFTER", "DELETE", None,
        _ingresos("old", -1) + _esperada_de_salud("old", -1),
    ),
    "crm_contador_salud_ingresos": (
        "salud_cliente_extended", "AFTER",
        "UPDATE OF ingresos_esperados_30_dias, ingresos_esperados_90_dias",
        _cambio("ingresos_esperados_30_dias", "ingresos_esperados_90_dias"),
        _ingresos("old", -1) + _ingresos("new", 1),
    ),
    "crm_contador_salud_esperada": (
        "salud_cliente_extended", "AFTER", "UPDATE OF fecha_proxima_factura_esperada",
        _cambio("fecha_proxima_factura_esperada"),
        _esperada_de_salud("old", -1) + _esperada_de_salud("new", 1),
    ),
    "crm_contador_alerta_alta": (
        "alertas_cliente", "AFTER", "INSERT", None, _alerta("new", 1),
    ),
    "crm_contador_alerta_baja": (
        "alertas_cliente", "AFTER", "DELETE", None, _alerta("old", -1),
    ),
    "crm_contador_alerta_cambio": (
        "alertas_cliente", "AFTER", "UPDATE OF severidad, tipo", _cambio("severidad", "tipo"),
        _alerta("old", -1) + _alerta("new", 1),
    ),
    "crm_contador_oportunidad_alta": (
        "oportunidades_extended", "AFTER", "INSERT", None, _oportunidad("new", 1),
    ),
    "crm_contador_oportunidad_baja": (
        "oportunidades_extended", "AFTER", "DELETE", None, _oportunidad("old", -1),
    ),
    "crm_contador_oportunidad_cambio": (
        "oportunidades_extended", "AFTER",
        "UPDATE OF estado, monto_estimado, valor_ganado, probabilidad_cierre",
        _cambio("estado", "monto_estimado", "valor_ganado", "probabilidad_cierre"),
        _oportunidad("old", -1) + _oportunidad("new", 1),
    ),
    "crm_contador_factura_alta": (
        "facturas_ledger", "AFTER", "INSERT", None, _deuda("new", 1),
    ),
    "crm_contador_factura_baja": (
        "facturas_ledger", "AFTER", "DELETE", None, _deuda("old", -1),
    ),
    "crm_contador_factura_cambio": (
        "facturas_ledger", "AFTER", "UPDATE OF pendiente, fecha_vencimiento",
        _cambio("pendiente", "fecha_vencimiento"),
        _deuda("old", -1) + _deuda("new", 1),
    ),
}  # fmt: skip

BACKFILL = [
    "INSERT INTO contadores_cartera (grupo, clave, numero, importe, ponderado) "
    f"SELECT 'clientes', estado, count(*), CAST(sum({_cent('ltv')}) AS BIGINT), 0 "
    "FROM clientes_extended GROUP BY estado",
    *(
        "INSERT INTO contadores_cartera (grupo, clave, numero, importe, ponderado) "
        f"SELECT 'ingresos', '{dias}', count(*), "
        f"CAST(COALESCE(sum({_cent(f'ingresos_esperados_{dias}_dias')}), 0) AS BIGINT), 0 "
        "FROM salud_cliente_extended"
        for dias in (30, 90)
    ),
    "INSERT INTO contadores_cartera (grupo, clave, numero, importe, ponderado) "
    "SELECT 'alertas', severidad || '|' || tipo, count(*), 0, 0 "
    "FROM alertas_cliente GROUP BY severidad, tipo",
    "INSERT INTO contadores_cartera (grupo, clave, numero, importe, ponderado) "
    f"SELECT 'oportunidades', r.estado, count(*), "
    f"CAST(sum({_cent(_importe_oportunidad('r'))}) AS BIGINT), "
    f"CAST(sum({_cent(_importe_oportunidad('r'))} * COALESCE(r.probabilidad_cierre, 0)) "
    "AS BIGINT) FROM oportunidades_extended r GROUP BY r.estado",
    "INSERT INTO cartera_por_fecha (serie, fecha, numero, importe) "
    f"SELECT 'deuda', COALESCE(fecha_vencimiento, {SIN_VENCIMIENTO}), count(*), "
    f"CAST(sum({_cent('pendiente')}) AS BIGINT) FROM facturas_ledger WHERE pendiente > 0 "
    f"GROUP BY COALESCE(fecha_vencimiento, {SIN_VENCIMIENTO})",
    "INSERT INTO cartera_por_fecha (serie, fecha, numero, importe) "
    "SELECT 'esperada', sc.fecha_proxima_factura_esperada, count(*), 0 "
    "FROM salud_cliente_extended sc JOIN clientes_extended c ON c.id = sc.cliente_id "
    f"WHERE sc.fecha_proxima_factura_esperada IS NOT NULL AND c.estado NOT IN {INACTIVOS} "
    "GROUP BY sc.fecha_proxima_factura_esperada",
]


def _diferida(sql: str) -> str | None:
    """PostgreSQL: a statement of a trigger body as an appended delta (see PLEGAR)."""
    if sql.startswith("DELETE"):
        return None  # the fold removes empty due dates
    sql = sql[: sql.index(" ON CONFLICT")] + ";"
    sql = sql.replace("INSERT INTO contadores_cartera (", "INSERT INTO contadores_pendientes (")
    return sql.replace(
        "INSERT INTO cartera_por_fecha (serie, ", "INSERT INTO contadores_pendientes (grupo, "
    )


# PostgreSQL keeps every version of a row updated in a transaction until it ends: a
# counter row updated once per client over a 100k-client `recalcular` (one transaction)
# would grow a chain every later update walks, quadratic in the transaction's writes.
# So there the triggers append deltas to `contadores_pendientes`, and a deferred trigger
# folds them into the totals once, at commit (guarded so only the first of its per-row
# calls works). SQLite updates rows in place: its triggers add to the totals directly.
# Migration 2b7f4c9e1a63 (counter fold in key order) replaces this body with one that takes
# its row locks in key order: here a hash aggregate's order decides, and two transactions
# committing at once can lock shared counter rows in opposite orders and deadlock.
PLEGAR = """
CREATE FUNCTION crm_contadores_plegar() RETURNS trigger LANGUAGE plpgsql AS $$
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
CREATE CONSTRAINT TRIGGER crm_contadores_plegar AFTER INSERT ON contadores_pendientes
DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION crm_contadores_plegar();
"""


def _crear_trigger(conn: sa.Connection, nombre: str, trigger: Trigger) -> None:
    tabla, momento, evento, cuando, sentencias = trigger
    if conn.dialect.name == "postgresql":
        cuerpo = "\n    ".join(d for d in map(_diferida, sentencias) if d)
        retorno = "OLD" if momento == "BEFORE" else "NULL"
        conn.exec_driver_sql(
            f"CREATE FUNCTION {nombre}() RETURNS trigger LANGUAGE plpgsql AS $$\n"
            f"BEGIN\n    {cuerpo}\n    RETURN {retorno};\nEND $$"
        )
        condicion = f" WHEN ({cuando['postgresql']})" if cuando else ""
        conn.exec_driver_sql(
            f"CREATE TRIGGER {nombre} {momento} {evento} ON {tabla} FOR EACH ROW"
            f"{condicion} EXECUTE FUNCTION {nombre}()"
        )
    else:
        cuerpo = "\n    ".join(sentencias)
        condicion = f" WHEN {cuando['sqlite']}" if cuando else ""
        conn.exec_driver_sql(
            f"CREATE TRIGGER {nombre} {momento} {evento} ON {tabla} FOR EACH ROW"
            f"{condicion}\nBEGIN\n    {cuerpo}\nEND"
        )


def upgrade() -> None:
    op.create_table(
        "contadores_cartera",
        sa.Column("grupo", sa.String(length=20), nullable=False),
        sa.Column("clave", sa.String(length=80), nullable=False),
        sa.Column("numero", sa.BigInteger(), nullable=False),
        sa.Column("importe", sa.BigInteger(), nullable=False),
        sa.Column("ponderado", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("grupo", "clave", name=op.f("pk_contadores_cartera")),
    )
    op.create_table(
        "cartera_por_fecha",
        sa.Column("serie", sa.String(length=20), nullable=False),
        sa.Column("fecha", sa.Date(), nullable=False),
        sa.Column("numero", sa.BigInteger(), nullable=False),
        sa.Column("importe", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("serie", "fecha", name=op.f("pk_cartera_por_fecha")),
    )
    op.create_index(
        "ix_salud_cliente_extended_riesgo_orden",
        "salud_cliente_extended",
        [sa.text("riesgo_perdida_score DESC"), "cliente_id"],
    )
    op.create_index(
        "ix_salud_cliente_extended_proxima_orden",
        "salud_cliente_extended",
        ["fecha_proxima_factura_esperada", "cliente_id"],
    )
    op.create_table(
        "contadores_pendientes",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("grupo", sa.String(length=20), nullable=False),
        sa.Column("clave", sa.String(length=80), nullable=True),
        sa.Column("fecha", sa.Date(), nullable=True),
        sa.Column("numero", sa.BigInteger(), nullable=False),
        sa.Column("importe", sa.BigInteger(), nullable=False),
        sa.Column("ponderado", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contadores_pendientes")),
    )
    conn = op.get_bind()
    for sql in BACKFILL:
        conn.exec_driver_sql(sql)
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(PLEGAR)
    for nombre, trigger in TRIGGERS.items():
        _crear_trigger(conn, nombre, trigger)


def downgrade() -> None:
    conn = op.get_bind()
    for nombre, (tabla, *_) in TRIGGERS.items():
        conn.exec_driver_sql(
            f"DROP TRIGGER IF EXISTS {nombre}"
            + (f" ON {tabla}" if conn.dialect.name == "postgresql" else "")
        )
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql(f"DROP FUNCTION IF EXISTS {nombre}()")
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(
            "DROP TRIGGER IF EXISTS crm_contadores_plegar ON contadores_pendientes"
        )
        conn.exec_driver_sql("DROP FUNCTION IF EXISTS crm_contadores_plegar()")
    op.drop_table("contadores_pendientes")
    op.drop_table("cartera_por_fecha")
    op.drop_table("contadores_cartera")
    op.drop_index("ix_salud_cliente_extended_proxima_orden", "salud_cliente_extended")
    op.drop_index("ix_salud_cliente_extended_riesgo_orden", "salud_cliente_extended")
