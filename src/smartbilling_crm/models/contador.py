"""Running totals of the portfolio, kept exact by database triggers on every write.

The dashboard and the alert list read these few rows instead of aggregating every
client, health row, alert, opportunity and open invoice on each request. The triggers
(migration `2026-12-02-0620`) run on SQLite and PostgreSQL alike, so every writer keeps
them: the invoice hook, API edits, `recalcular`, GDPR erasure, CSV import, bulk SQL.
Amounts are whole integers (cents, or cents × percent), so sums are exact on both.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import BigInteger, Date, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from smartbilling_crm.models.base import Base


class ContadorCartera(Base):
    """One running total: (grupo, clave) → count, Σ amount and Σ weighted amount.

    grupo `clientes` (clave = estado; importe = Σ LTV), `ingresos` (clave `30`/`90`:
    Σ expected revenue of the health rows), `oportunidades` (clave = estado; importe =
    Σ amount, ponderado = Σ amount × probability), `alertas` (clave = "severidad|tipo"),
    `deuda` (clave `total`: open invoices of every due date, importe = Σ pendiente; the
    ageing read bands only recent due dates and takes the oldest band as the rest).
    """

    __tablename__ = "contadores_cartera"

    grupo: Mapped[str] = mapped_column(String(20), primary_key=True)
    clave: Mapped[str] = mapped_column(String(80), primary_key=True)
    numero: Mapped[int] = mapped_column(BigInteger)
    importe: Mapped[int] = mapped_column(BigInteger)  # cents
    ponderado: Mapped[int] = mapped_column(BigInteger)  # cents × percent


class CarteraPorFecha(Base):
    """Per day, totals whose meaning depends on "today", so they are kept by date and
    banded at read time: bounded by distinct dates, not by clients.

    serie `deuda`: open invoices (`pendiente > 0`) by due date (an invoice without one
    under FECHA_SIN_VENCIMIENTO, the oldest band), importe = Σ pendiente in cents.
    serie `esperada`: clients not dormant or lost, by their next expected invoice date.
    """

    __tablename__ = "cartera_por_fecha"

    serie: Mapped[str] = mapped_column(String(20), primary_key=True)
    fecha: Mapped[date] = mapped_column(Date, primary_key=True)
    numero: Mapped[int] = mapped_column(BigInteger)
    importe: Mapped[int] = mapped_column(BigInteger)  # cents


class ContadorPendiente(Base):
    """PostgreSQL only: a change to a total, appended by a trigger and folded into
    `contadores_cartera` (fecha None) or `cartera_por_fecha` (grupo = serie) at commit, so
    a long transaction does not update the same counter row thousands of times. The fold
    (`crm_contadores_plegar`, migrations `2026-12-02-0620` and `2026-12-02-1315`) locks
    the rows it changes in key order, so concurrent commits queue instead of deadlocking."""

    __tablename__ = "contadores_pendientes"

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True
    )
    grupo: Mapped[str] = mapped_column(String(20))
    clave: Mapped[str | None] = mapped_column(String(80))
    fecha: Mapped[date | None] = mapped_column(Date)
    numero: Mapped[int] = mapped_column(BigInteger)
    importe: Mapped[int] = mapped_column(BigInteger)
    ponderado: Mapped[int | None] = mapped_column(BigInteger)


FECHA_SIN_VENCIMIENTO = date(1, 1, 1)
