"""client 360 tables: clients, contacts, activities, opportunities and health rows

Revision ID: 5e39f3162c89
Revises:
Create Date: 2026-11-21 22:31:20.579298+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "5e39f3162c89"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "clientes_extended",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("nombre_empresa", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("telefono", sa.String(length=32), nullable=True),
        sa.Column("direccion", sa.String(length=500), nullable=True),
        sa.Column("cif_nif", sa.String(length=32), nullable=True),
        sa.Column("cif_nif_valido", sa.Boolean(), nullable=True),
        sa.Column("estado", sa.String(length=20), nullable=False),
        sa.Column("segmento", sa.String(length=100), nullable=True),
        sa.Column("sector_industria", sa.String(length=100), nullable=True),
        sa.Column("tamano_empresa", sa.String(length=20), nullable=True),
        sa.Column("comunidad_autonoma", sa.String(length=100), nullable=True),
        sa.Column("ciudad", sa.String(length=100), nullable=True),
        sa.Column("riesgo_impago", sa.String(length=10), nullable=False),
        sa.Column("ltv", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("margen_promedio", sa.Numeric(precision=5, scale=2), nullable=True),
        sa.Column("fecha_primer_contacto", sa.DateTime(timezone=True), nullable=False),
        sa.Column("fecha_primera_compra", sa.Date(), nullable=True),
        sa.Column("fecha_ultima_compra", sa.Date(), nullable=True),
        sa.Column("web_empresa", sa.String(length=500), nullable=True),
        sa.Column("linkedin", sa.String(length=500), nullable=True),
        sa.Column("numero_empleados", sa.Integer(), nullable=True),
        sa.Column("notas", sa.Text(), nullable=True),
        sa.Column("busqueda", sa.String(length=600), nullable=False),
        sa.Column("fecha_creacion", sa.DateTime(timezone=True), nullable=False),
        sa.Column("fecha_actualizacion", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_clientes_extended")),
        sa.UniqueConstraint("cif_nif", name=op.f("uq_clientes_extended_cif_nif")),
        sa.UniqueConstraint("email", name=op.f("uq_clientes_extended_email")),
    )
    with op.batch_alter_table("clientes_extended", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_clientes_extended_estado"), ["estado"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_clientes_extended_estado_ltv"), ["estado", "ltv"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_clientes_extended_fecha_actualizacion"),
            ["fecha_actualizacion"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_clientes_extended_fecha_ultima_compra"),
            ["fecha_ultima_compra"],
            unique=False,
        )
        batch_op.create_index(batch_op.f("ix_clientes_extended_ltv"), ["ltv"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_clientes_extended_riesgo_impago"), ["riesgo_impago"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_clientes_extended_sector_industria"), ["sector_industria"], unique=False
        )

    op.create_table(
        "contactos_extended",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("cliente_id", sa.String(length=64), nullable=False),
        sa.Column("nombre_completo", sa.String(length=200), nullable=False),
        sa.Column("rol", sa.String(length=100), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("telefono", sa.String(length=32), nullable=True),
        sa.Column("telefono_whatsapp", sa.String(length=32), nullable=True),
        sa.Column("es_contacto_principal", sa.Boolean(), nullable=False),
        sa.Column("es_contacto_financiero", sa.Boolean(), nullable=False),
        sa.Column("notas", sa.Text(), nullable=True),
        sa.Column("fecha_creacion", sa.DateTime(timezone=True), nullable=False),
        sa.Column("fecha_ultima_interaccion", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["cliente_id"],
            ["clientes_extended.id"],
            name=op.f("fk_contactos_extended_cliente_id_clientes_extended"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contactos_extended")),
    )
    with op.batch_alter_table("contactos_extended", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_contactos_extended_cliente_id"), ["cliente_id"], unique=False
        )
        batch_op.create_index(
            "uq_contactos_extended_un_principal",
            ["cliente_id"],
            unique=True,
            sqlite_where=sa.text("es_contacto_principal"),
            postgresql_where=sa.text("es_contacto_principal"),
        )

    op.create_table(
        "salud_cliente_extended",
        sa.Column("cliente_id", sa.String(length=64), nullable=False),
        sa.Column("dias_promedio_para_pagar", sa.Float(), nullable=True),
        sa.Column("porcentaje_pagos_a_tiempo", sa.Float(), nullable=False),
        sa.Column("factura_pagada_mas_antigua", sa.Date(), nullable=True),
        sa.Column("factura_impagada_mas_antigua", sa.Date(), nullable=True),
        sa.Column("monto_promedio_factura", sa.Numeric(precision=14, scale=2), nullable=True),
        sa.Column("frecuencia_compra_dias", sa.Integer(), nullable=True),
        sa.Column("meses_como_cliente", sa.Integer(), nullable=True),
        sa.Column("ltv_lifetime_value", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("margen_promedio", sa.Float(), nullable=True),
        sa.Column("fecha_proxima_factura_esperada", sa.Date(), nullable=True),
        sa.Column("ingresos_esperados_30_dias", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("ingresos_esperados_90_dias", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("riesgo_impago_nivel", sa.String(length=10), nullable=False),
        sa.Column("riesgo_perdida_score", sa.Integer(), nullable=False),
        sa.Column("dias_sin_actividad", sa.Integer(), nullable=True),
        sa.Column("numero_actividades_ultimos_30_dias", sa.Integer(), nullable=False),
        sa.Column("ultima_interaccion", sa.DateTime(timezone=True), nullable=True),
        sa.Column("salud_general", sa.String(length=12), nullable=False),
        sa.Column("motivos", sa.JSON(), nullable=False),
        sa.Column("fecha_calculo", sa.Date(), nullable=True),
        sa.Column("fecha_actualizacion", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["cliente_id"],
            ["clientes_extended.id"],
            name=op.f("fk_salud_cliente_extended_cliente_id_clientes_extended"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("cliente_id", name=op.f("pk_salud_cliente_extended")),
    )
    with op.batch_alter_table("salud_cliente_extended", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_salud_cliente_extended_dias_sin_actividad"),
            ["dias_sin_actividad"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_salud_cliente_extended_riesgo_perdida_score"),
            ["riesgo_perdida_score"],
            unique=False,
        )

    op.create_table(
        "actividades_extended",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("cliente_id", sa.String(length=64), nullable=False),
        sa.Column("tipo", sa.String(length=20), nullable=False),
        sa.Column("titulo", sa.String(length=200), nullable=False),
        sa.Column("descripcion", sa.Text(), nullable=True),
        sa.Column("fecha", sa.DateTime(timezone=True), nullable=False),
        sa.Column("duracion_minutos", sa.Integer(), nullable=True),
        sa.Column("responsable", sa.String(length=100), nullable=True),
        sa.Column("contacto_id", sa.String(length=64), nullable=True),
        sa.Column("completada", sa.Boolean(), nullable=False),
        sa.Column("resultado", sa.String(length=500), nullable=True),
        sa.Column("fecha_creacion", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["cliente_id"],
            ["clientes_extended.id"],
            name=op.f("fk_actividades_extended_cliente_id_clientes_extended"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["contacto_id"],
            ["contactos_extended.id"],
            name=op.f("fk_actividades_extended_contacto_id_contactos_extended"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_actividades_extended")),
    )
    with op.batch_alter_table("actividades_extended", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_actividades_extended_cliente_id_fecha"),
            ["cliente_id", "fecha"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_actividades_extended_contacto_id"), ["contacto_id"], unique=False
        )

    op.create_table(
        "oportunidades_extended",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("cliente_id", sa.String(length=64), nullable=False),
        sa.Column("nombre_proyecto", sa.String(length=200), nullable=False),
        sa.Column("descripcion", sa.Text(), nullable=True),
        sa.Column("monto_estimado", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("estado", sa.String(length=20), nullable=False),
        sa.Column("probabilidad_cierre", sa.Integer(), nullable=False),
        sa.Column("fecha_cierre_estimada", sa.DateTime(timezone=True), nullable=True),
        sa.Column("fecha_cierre_real", sa.DateTime(timezone=True), nullable=True),
        sa.Column("contacto_responsable_id", sa.String(length=64), nullable=True),
        sa.Column("notas_internas", sa.Text(), nullable=True),
        sa.Column("valor_ganado", sa.Numeric(precision=14, scale=2), nullable=True),
        sa.Column("motivo_perdida", sa.String(length=500), nullable=True),
        sa.Column("fecha_creacion", sa.DateTime(timezone=True), nullable=False),
        sa.Column("fecha_actualizacion", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["cliente_id"],
            ["clientes_extended.id"],
            name=op.f("fk_oportunidades_extended_cliente_id_clientes_extended"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["contacto_responsable_id"],
            ["contactos_extended.id"],
            name=op.f("fk_oportunidades_extended_contacto_responsable_id_contactos_extended"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_oportunidades_extended")),
    )
    with op.batch_alter_table("oportunidades_extended", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_oportunidades_extended_cliente_id_estado"),
            ["cliente_id", "estado"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_oportunidades_extended_contacto_responsable_id"),
            ["contacto_responsable_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_oportunidades_extended_estado"), ["estado"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("oportunidades_extended", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_oportunidades_extended_estado"))
        batch_op.drop_index(batch_op.f("ix_oportunidades_extended_contacto_responsable_id"))
        batch_op.drop_index(batch_op.f("ix_oportunidades_extended_cliente_id_estado"))

    op.drop_table("oportunidades_extended")
    with op.batch_alter_table("actividades_extended", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_actividades_extended_contacto_id"))
        batch_op.drop_index(batch_op.f("ix_actividades_extended_cliente_id_fecha"))

    op.drop_table("actividades_extended")
    with op.batch_alter_table("salud_cliente_extended", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_salud_cliente_extended_riesgo_perdida_score"))
        batch_op.drop_index(batch_op.f("ix_salud_cliente_extended_dias_sin_actividad"))

    op.drop_table("salud_cliente_extended")
    with op.batch_alter_table("contactos_extended", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_contactos_extended_un_principal",
            sqlite_where=sa.text("es_contacto_principal"),
            postgresql_where=sa.text("es_contacto_principal"),
        )
        batch_op.drop_index(batch_op.f("ix_contactos_extended_cliente_id"))

    op.drop_table("contactos_extended")
    with op.batch_alter_table("clientes_extended", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_clientes_extended_sector_industria"))
        batch_op.drop_index(batch_op.f("ix_clientes_extended_riesgo_impago"))
        batch_op.drop_index(batch_op.f("ix_clientes_extended_ltv"))
        batch_op.drop_index(batch_op.f("ix_clientes_extended_fecha_ultima_compra"))
        batch_op.drop_index(batch_op.f("ix_clientes_extended_fecha_actualizacion"))
        batch_op.drop_index(batch_op.f("ix_clientes_extended_estado_ltv"))
        batch_op.drop_index(batch_op.f("ix_clientes_extended_estado"))

    op.drop_table("clientes_extended")
