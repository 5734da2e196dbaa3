"""The client: SmartBilling's record plus the CRM fields."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Boolean, Date, Index, Integer, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from smartbilling_crm.models.base import Base, MoneyTotal, UTCDateTime, new_id, utcnow

# Indexes the migrations create on PostgreSQL only, which the models therefore do not
# declare: the pg_trgm GIN index that serves search `q` (`busqueda LIKE '%text%'`).
INDICES_SOLO_POSTGRESQL = frozenset({"ix_clientes_extended_busqueda_trgm"})
# Its SQLite twin: an FTS5 `trigram` index over `busqueda` (external content, kept by
# triggers; migration `2026-12-02-0200`), with the shadow tables FTS5 keeps beside it.
TABLA_BUSQUEDA_SQLITE = "clientes_busqueda"
TABLAS_SOLO_SQLITE = frozenset(
    {TABLA_BUSQUEDA_SQLITE}
    | {f"{TABLA_BUSQUEDA_SQLITE}_{sombra}" for sombra in ("data", "idx", "docsize", "config")}
)


class Cliente(Base):
    __tablename__ = "clientes_extended"

    id: Mapped[str] = mapped_column(String(64), primary_key=True, default=new_id)
    nombre_empresa: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(254), unique=True)
    telefono: Mapped[str | None] = mapped_column(String(32))
    direccion: Mapped[str | None] = mapped_column(String(500))
    cif_nif: Mapped[str | None] = mapped_column(String(32), unique=True)
    cif_nif_valido: Mapped[bool | None] = mapped_column(Boolean)

    estado: Mapped[str] = mapped_column(String(20), default="prospecto", index=True)
    segmento: Mapped[str | None] = mapped_column(String(100))
    sector_industria: Mapped[str | None] = mapped_column(String(100))
    tamano_empresa: Mapped[str | None] = mapped_column(String(20))
    comunidad_autonoma: Mapped[str | None] = mapped_column(String(100))
    ciudad: Mapped[str | None] = mapped_column(String(100))

    riesgo_impago: Mapped[str] = mapped_column(String(10), default="bajo", index=True)
    ltv: Mapped[Decimal] = mapped_column(MoneyTotal(), default=Decimal("0.00"), index=True)
    margen_promedio: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))

    fecha_primer_contacto: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    fecha_primera_compra: Mapped[date | None] = mapped_column(Date)
    fecha_ultima_compra: Mapped[date | None] = mapped_column(Date, index=True)

    web_empresa: Mapped[str | None] = mapped_column(String(500))
    linkedin: Mapped[str | None] = mapped_column(String(500))
    numero_empleados: Mapped[int | None] = mapped_column(Integer)
    notas: Mapped[str | None] = mapped_column(Text)

    # Lower-case, accent-free copy of name, email and CIF/NIF for search `q`.
    busqueda: Mapped[str] = mapped_column(String(600), default="")
    # The name's sort key (`kit.validators.clave_nombre`), compared byte by byte on both
    # databases (PostgreSQL's collation "C"), so the order is the key's, not the server's.
    nombre_orden: Mapped[str] = mapped_column(
        String(200).with_variant(String(200, collation="C"), "postgresql"), default=""
    )
    # Lower-case, accent-free copy of sector_industria for the list's `sector` filter.
    sector_plegado: Mapped[str | None] = mapped_column(String(100))

    fecha_creacion: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    fecha_actualizacion: Mapped[datetime] = mapped_column(
        UTCDateTime(), default=utcnow, onupdate=utcnow, index=True
    )

    __table_args__ = (
        Index(None, "estado", "ltv"),
        # The list sorted by name, pages walked from the index (the id breaks ties).
        Index(None, "nombre_orden", "id"),
        # The list filtered by sector (and state), counted and sorted by LTV from the index.
        Index(None, "sector_plegado", "ltv"),
        Index(None, "estado", "sector_plegado", "ltv"),
    )
