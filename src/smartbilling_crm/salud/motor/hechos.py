"""The facts the engines read and the figures they produce; thresholds and number words.

Pure: plain values in, plain values out (contract §4). `docs/salud.md` explains each.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import NamedTuple
from zoneinfo import ZoneInfo

from smartbilling_crm.dominio import RiesgoImpago, SaludGeneral
from smartbilling_crm.kit.formato import decimal1, dias

MADRID = ZoneInfo("Europe/Madrid")
CENTIMO = Decimal("0.01")

# The payment trend (an early warning; the risk level itself is salud.motor.pagos).
TENDENCIA_RECIENTES = 3
TENDENCIA_MIN_ANTERIORES = 3
TENDENCIA_DIAS_PEOR = 10

# Activity window of numero_actividades_ultimos_30_dias: today and the 29 days before.
VENTANA_ACTIVIDAD_DIAS = 30


# Bands of the churn score, shared by salud_general and the recommendations.
PERDIDA_MEDIO = 30
PERDIDA_ALTO = 60
PERDIDA_CRITICO = 80

ORDEN_RIESGO = (RiesgoImpago.BAJO, RiesgoImpago.MEDIO, RiesgoImpago.ALTO, RiesgoImpago.CRITICO)
SALUD_POR_RIESGO = {
    RiesgoImpago.BAJO: SaludGeneral.EXCELENTE,
    RiesgoImpago.MEDIO: SaludGeneral.BUENA,
    RiesgoImpago.ALTO: SaludGeneral.EN_RIESGO,
    RiesgoImpago.CRITICO: SaludGeneral.CRITICA,
}


class FacturaHecho(NamedTuple):
    """One invoice of the ledger, as the health rules see it.

    A named tuple, not a frozen dataclass: a write's refresh builds one per invoice (the
    daily recompute only one per overdue invoice: it reads the ledger as arrays,
    `libro_lote`), and a frozen dataclass set each of its eleven fields through
    `object.__setattr__`."""

    factura_id: str
    numero: str
    fecha_emision: date
    fecha_vencimiento: date | None
    base_imponible: Decimal  # net of VAT; negative for a credit note (rectificativa)
    total: Decimal  # with VAT; negative for a credit note
    fecha_pago: date | None  # settled by payments on this day (the ledger's settlement date)
    anulada: bool  # cancelled invoices are ignored by every metric
    # The receivables ledger (contract §7): what is still owed, credit applied, and the
    # live payments (day, amount). None: derived from `fecha_pago` (paid in full or not),
    # as facts written before the ledger kept payments.
    pendiente: Decimal | None = None
    credito_aplicado: Decimal = Decimal(0)
    cobros: tuple[tuple[date, Decimal], ...] | None = None


@dataclass(frozen=True)
class OportunidadHecho:
    """One open opportunity (not won, not lost)."""

    id: str
    nombre_proyecto: str
    estado: str
    monto_estimado: Decimal
    probabilidad_cierre: int  # 0..100
    fecha_cierre_estimada: date | None  # a date in the business time zone


@dataclass(frozen=True)
class TendenciaPago:
    """Mean days to pay of the last paid invoices against the client's earlier history."""

    # Exact means (Fractions): the warning compares them exactly, so +10 days is +10.
    media_reciente: Fraction  # the last TENDENCIA_RECIENTES paid invoices, by payment date
    media_anterior: Fraction  # every earlier paid invoice
    recientes: int
    anteriores: int

    @property
    def diferencia(self) -> float:
        """Extra days the recent payments took (negative: they paid faster), one decimal."""
        return un_decimal(self.media_reciente - self.media_anterior)

    @property
    def empeora(self) -> bool:
        """The early-warning signal: recent payments took TENDENCIA_DIAS_PEOR+ days longer."""
        # Cross-multiplied (exact, as the Fractions' difference, without building one).
        a, b = self.media_reciente, self.media_anterior
        return (
            a.numerator * b.denominator - b.numerator * a.denominator
            >= TENDENCIA_DIAS_PEOR * a.denominator * b.denominator
        )


@dataclass(frozen=True)
class Salud:
    """Every metric of contract §4, as of one day."""

    ltv_lifetime_value: Decimal
    monto_promedio_factura: Decimal | None
    dias_promedio_para_pagar: float | None
    porcentaje_pagos_a_tiempo: float | None
    factura_pagada_mas_antigua: date | None
    factura_impagada_mas_antigua: date | None
    frecuencia_compra_dias: int | None
    meses_como_cliente: int | None
    fecha_proxima_factura_esperada: date | None
    ingresos_esperados_30_dias: Decimal
    ingresos_esperados_90_dias: Decimal
    riesgo_impago_nivel: str
    riesgo_perdida_score: int
    dias_sin_actividad: int | None
    numero_actividades_ultimos_30_dias: int
    ultima_interaccion: datetime | None
    salud_general: str
    motivos: list[str]
    facturas_vencidas: int
    importe_vencido: Decimal
    # Additions: the pieces behind the figures above, for recommendations and the dashboard.
    probabilidad_activo: float | None = None
    compras_esperadas_90_dias: float | None = None
    # When the next purchase was due by the client's own cadence (last + usual gap): may
    # be in the past, the signal of the "compra atrasada" rule.
    fecha_segun_cadencia: date | None = None
    fecha_primera_compra: date | None = None
    fecha_ultima_compra: date | None = None
    dias_desde_ultima_compra: int | None = None
    tendencia_pago: TendenciaPago | None = None
    motivos_impago: list[str] = field(default_factory=list)
    motivos_perdida: list[str] = field(default_factory=list)
    # Contract §7: the receivables ledger's payment behaviour (salud.motor.pagos).
    importe_pendiente: Decimal = Decimal("0.00")
    saldo_a_favor: Decimal = Decimal("0.00")
    antiguedad_deuda: dict[str, Decimal] | None = None
    dso_dias: float | None = None
    dias_medios_de_retraso: float | None = None
    probabilidad_pago_tardio: float | None = None


# ---------------------------------------------------------------- formatting helpers


Exacto = Fraction | Decimal | int | float  # each is a rational: `as_integer_ratio()`


def _razon(valor: Exacto, divisor: Exacto) -> tuple[int, int]:
    """valor ÷ divisor as integers (numerator, denominator > 0), exactly."""
    n1, d1 = valor.as_integer_ratio()
    n2, d2 = divisor.as_integer_ratio()
    if n2 == 0:
        raise ZeroDivisionError("un_decimal: divisor 0")
    n, d = n1 * d2, d1 * n2
    return (-n, -d) if d < 0 else (n, d)


def un_decimal(valor: Exacto, divisor: Exacto = 1) -> float:
    """valor ÷ divisor to one decimal, half away from zero, as money is rounded (2,25 ->
    2,3; -2,25 -> -2,3), exactly: every displayed figure with a decimal goes through here,
    never Python's round(). Integer arithmetic on the exact ratio (a Fraction per step cost
    a third of scoring a client's payments)."""
    n, d = _razon(valor, divisor)
    signo = -1 if n < 0 else 1
    return signo * ((20 * abs(n) + d) // (2 * d)) / 10


def desplazar(fecha: date, dias_: int) -> date | None:
    """`fecha` plus `dias_` days; None when that falls outside the calendar (year 1..9999),
    so no engine ever overflows whatever dates it is given."""
    try:
        return fecha + timedelta(days=dias_)
    except OverflowError:
        return None


def desplazar_acotado(fecha: date, dias_: int) -> date:
    """`fecha` plus `dias_` days, held at the calendar's first or last day."""
    return desplazar(fecha, dias_) or (date.max if dias_ > 0 else date.min)


def redondear(value: Exacto, escala: int = 1) -> int:
    """value × escala to a whole number, half up, as people round (2.5 -> 3), not Python's
    banker's rounding; exactly (`escala` 1000: thousandths, as an integer)."""
    n, d = _razon(value, 1)
    return (2 * n * escala + d) // (2 * d)


def dinero(value: Decimal) -> Decimal:
    return value.quantize(CENTIMO, rounding=ROUND_HALF_UP)


def texto_numero(value: float) -> str:
    """Spanish decimal: 66.7 -> '66,7', 25.0 -> '25'."""
    return decimal1(value)


def texto_porcentaje(value: float) -> str:
    """Spanish percentage: 66.7 -> '66,7 %', 100.0 -> '100 %'."""
    return f"{texto_numero(value)} %"


def texto_dias(value: float) -> str:
    """Days with one decimal when needed: 25.5 -> '25,5 días', 1.0 -> '1 día'."""
    if float(value).is_integer():
        return dias(int(value))
    return f"{texto_numero(value)} días"


# ---------------------------------------------------------------- invoice metrics


def vigentes(facturas: Sequence[FacturaHecho]) -> list[FacturaHecho]:
    """Invoices that count: every one not cancelled."""
    return [f for f in facturas if not f.anulada]


def de_cobro(facturas: Sequence[FacturaHecho]) -> list[FacturaHecho]:
    """Non-cancelled invoices the client has to pay (total > 0); credit notes owe nothing."""
    return [f for f in vigentes(facturas) if f.total > 0]


def pendiente_de(factura: FacturaHecho) -> Decimal:
    """What the invoice still owes: the ledger's figure, or all of it while unpaid."""
    if factura.anulada or factura.total <= 0:
        return Decimal(0)
    if factura.pendiente is not None:
        return factura.pendiente
    return Decimal(0) if factura.fecha_pago is not None else factura.total


def cobros_de(factura: FacturaHecho) -> tuple[tuple[date, Decimal], ...]:
    """The invoice's live payments (day, amount); one for the whole when only paid-on is known."""
    if factura.cobros is not None:
        return factura.cobros
    if factura.fecha_pago is None:
        return ()
    return ((factura.fecha_pago, factura.total - factura.credito_aplicado),)
