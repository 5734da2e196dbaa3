"""Client health (contract §4): metrics, risks, lifecycle state and the VIP threshold.

The rules are pure functions over plain values (invoice facts, activity instants, open
opportunities, "today"), so every one of them is tested at fixed dates without a database.
`docs/salud.md` explains each metric and threshold in plain words; keep it in step.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from zoneinfo import ZoneInfo

from ..formato import dias, euros
from ..schemas.common import EstadoCliente, RiesgoImpago, SaludGeneral

MADRID = ZoneInfo("Europe/Madrid")
CENTIMO = Decimal("0.01")

# Risk of non-payment (riesgo_impago_nivel).
DIAS_VENCIDA_CRITICO = 30
PCT_A_TIEMPO_ALTO = 70.0
PCT_A_TIEMPO_MEDIO = 90.0
TENDENCIA_RECIENTES = 3
TENDENCIA_MIN_ANTERIORES = 3
TENDENCIA_DIAS_PEOR = 10

# Activity window of numero_actividades_ultimos_30_dias: today and the 29 days before.
VENTANA_ACTIVIDAD_DIAS = 30

# Churn score (riesgo_perdida_score): purchase lateness up to 70 points, inactivity up to 30.
PUNTOS_COMPRA_MAX = 70
PUNTOS_INACTIVIDAD_MAX = 30

# Bands of the churn score, shared by salud_general and the recommendations.
PERDIDA_MEDIO = 30
PERDIDA_ALTO = 60
PERDIDA_CRITICO = 80

_ORDEN_RIESGO = (RiesgoImpago.BAJO, RiesgoImpago.MEDIO, RiesgoImpago.ALTO, RiesgoImpago.CRITICO)
_SALUD_POR_RIESGO = {
    RiesgoImpago.BAJO: SaludGeneral.EXCELENTE,
    RiesgoImpago.MEDIO: SaludGeneral.BUENA,
    RiesgoImpago.ALTO: SaludGeneral.EN_RIESGO,
    RiesgoImpago.CRITICO: SaludGeneral.CRITICA,
}
_SIN_RECOMPRA = frozenset({EstadoCliente.CLIENTE_DORMIDO, EstadoCliente.CLIENTE_PERDIDO})


@dataclass(frozen=True)
class FacturaHecho:
    """One invoice of the ledger, as the health rules see it."""

    factura_id: str
    numero: str
    fecha_emision: date
    fecha_vencimiento: date | None
    base_imponible: Decimal  # net of VAT; negative for a credit note (rectificativa)
    total: Decimal  # with VAT; negative for a credit note
    fecha_pago: date | None
    anulada: bool  # cancelled invoices are ignored by every metric


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

    media_reciente: float  # the last TENDENCIA_RECIENTES paid invoices, by payment date
    media_anterior: float  # every earlier paid invoice
    recientes: int
    anteriores: int

    @property
    def diferencia(self) -> float:
        """Extra days the recent payments took (negative: they paid faster)."""
        return round(self.media_reciente - self.media_anterior, 1)

    @property
    def empeora(self) -> bool:
        """The early-warning signal: recent payments took TENDENCIA_DIAS_PEOR+ days longer."""
        return self.media_reciente - self.media_anterior >= TENDENCIA_DIAS_PEOR


@dataclass(frozen=True)
class Salud:
    """Every metric of contract §4, as of one day."""

    ltv_lifetime_value: Decimal
    monto_promedio_factura: Decimal | None
    dias_promedio_para_pagar: float | None
    porcentaje_pagos_a_tiempo: float
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
    fecha_primera_compra: date | None = None
    fecha_ultima_compra: date | None = None
    dias_desde_ultima_compra: int | None = None
    tendencia_pago: TendenciaPago | None = None
    motivos_impago: list[str] = field(default_factory=list)
    motivos_perdida: list[str] = field(default_factory=list)


# ---------------------------------------------------------------- formatting helpers


def _redondear(value: Fraction | float) -> int:
    """Half up, as people round (2.5 -> 3), not Python's banker's rounding."""
    return math.floor(Fraction(value) + Fraction(1, 2))


def _dinero(value: Decimal) -> Decimal:
    return value.quantize(CENTIMO, rounding=ROUND_HALF_UP)


def texto_numero(value: float) -> str:
    """Spanish decimal: 66.7 -> '66,7', 25.0 -> '25'."""
    texto = f"{value:.1f}".replace(".", ",")
    return texto[:-2] if texto.endswith(",0") else texto


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


def calcular_ltv(facturas: Sequence[FacturaHecho]) -> Decimal:
    """Σ base_imponible of non-cancelled invoices; credit notes reduce it."""
    return _dinero(sum((f.base_imponible for f in vigentes(facturas)), Decimal(0)))


def monto_promedio(facturas: Sequence[FacturaHecho]) -> Decimal | None:
    """Mean base_imponible of non-cancelled invoices with a positive base."""
    bases = [f.base_imponible for f in vigentes(facturas) if f.base_imponible > 0]
    if not bases:
        return None
    return _dinero(sum(bases, Decimal(0)) / len(bases))


def fechas_compra(facturas: Sequence[FacturaHecho]) -> list[date]:
    """Distinct issue dates of positive-base invoices, oldest first: one date, one purchase."""
    return sorted({f.fecha_emision for f in vigentes(facturas) if f.base_imponible > 0})


def frecuencia_compra(compras: Sequence[date]) -> int | None:
    """Median gap in days between consecutive purchase dates; None with fewer than 2."""
    ordenadas = sorted(set(compras))
    if len(ordenadas) < 2:
        return None
    huecos = sorted((b - a).days for a, b in itertools.pairwise(ordenadas))
    mitad = len(huecos) // 2
    if len(huecos) % 2:
        return huecos[mitad]
    return _redondear(Fraction(huecos[mitad - 1] + huecos[mitad], 2))


def meses_entre(desde: date, hasta: date) -> int:
    """Whole months from `desde` to `hasta` (0 if `hasta` is earlier)."""
    meses = (hasta.year - desde.year) * 12 + (hasta.month - desde.month)
    if hasta.day < desde.day:
        meses -= 1
    return max(0, meses)


def _pagada_a_tiempo(factura: FacturaHecho) -> bool:
    # A payment on the due date is on time; with no due date there is nothing to be late for.
    assert factura.fecha_pago is not None
    return factura.fecha_vencimiento is None or factura.fecha_pago <= factura.fecha_vencimiento


def _vencida(factura: FacturaHecho, hoy: date) -> bool:
    # Due today is not yet overdue; without a due date an invoice never becomes overdue.
    return (
        factura.fecha_pago is None
        and factura.fecha_vencimiento is not None
        and factura.fecha_vencimiento < hoy
    )


def facturas_vencidas(facturas: Sequence[FacturaHecho], hoy: date) -> list[FacturaHecho]:
    """Unpaid invoices past their due date, the longest overdue first."""
    vencidas = [f for f in de_cobro(facturas) if _vencida(f, hoy)]
    return sorted(vencidas, key=lambda f: (f.fecha_vencimiento, f.numero, f.factura_id))


def porcentaje_a_tiempo(facturas: Sequence[FacturaHecho], hoy: date) -> float:
    """100 × paid on time ÷ (paid + unpaid overdue), one decimal; 100 when there are none."""
    cobro = de_cobro(facturas)
    pagadas = [f for f in cobro if f.fecha_pago is not None]
    denominador = len(pagadas) + sum(1 for f in cobro if _vencida(f, hoy))
    if denominador == 0:
        return 100.0
    a_tiempo = sum(1 for f in pagadas if _pagada_a_tiempo(f))
    return round(100 * a_tiempo / denominador, 1)


def _dias_para_pagar(factura: FacturaHecho) -> int:
    assert factura.fecha_pago is not None
    return (factura.fecha_pago - factura.fecha_emision).days


def _pagadas_por_fecha_pago(facturas: Sequence[FacturaHecho]) -> list[FacturaHecho]:
    pagadas = [f for f in de_cobro(facturas) if f.fecha_pago is not None]
    return sorted(pagadas, key=lambda f: (f.fecha_pago, f.fecha_emision, f.numero, f.factura_id))


def dias_promedio_para_pagar(facturas: Sequence[FacturaHecho]) -> float | None:
    """Mean days from issue to payment of paid invoices, one decimal; None if none paid."""
    pagadas = _pagadas_por_fecha_pago(facturas)
    if not pagadas:
        return None
    return round(sum(_dias_para_pagar(f) for f in pagadas) / len(pagadas), 1)


def tendencia_pago(facturas: Sequence[FacturaHecho]) -> TendenciaPago | None:
    """Last 3 paid invoices (by payment date) against all earlier ones; None without 3+ earlier."""
    pagadas = _pagadas_por_fecha_pago(facturas)
    anteriores = pagadas[:-TENDENCIA_RECIENTES]
    recientes = pagadas[-TENDENCIA_RECIENTES:]
    if len(anteriores) < TENDENCIA_MIN_ANTERIORES:
        return None
    return TendenciaPago(
        media_reciente=sum(map(_dias_para_pagar, recientes)) / len(recientes),
        media_anterior=sum(map(_dias_para_pagar, anteriores)) / len(anteriores),
        recientes=len(recientes),
        anteriores=len(anteriores),
    )


def riesgo_impago(facturas: Sequence[FacturaHecho], hoy: date) -> tuple[str, list[str]]:
    """The non-payment level (bajo/medio/alto/critico) and every signal behind it."""
    cobro = de_cobro(facturas)
    vencidas = facturas_vencidas(facturas, hoy)
    pct = porcentaje_a_tiempo(facturas, hoy)
    tendencia = tendencia_pago(facturas)
    motivos: list[str] = []

    nivel = RiesgoImpago.BAJO
    if vencidas:
        peor = vencidas[0]
        assert peor.fecha_vencimiento is not None
        retraso = (hoy - peor.fecha_vencimiento).days
        importe = sum((f.total for f in vencidas), Decimal(0))
        if len(vencidas) == 1:
            motivos.append(f"1 factura vencida sin pagar por {euros(importe)}")
        else:
            motivos.append(f"{len(vencidas)} facturas vencidas sin pagar por {euros(importe)}")
        if retraso > DIAS_VENCIDA_CRITICO:
            nivel = RiesgoImpago.CRITICO
            motivos.append(
                f"La factura {peor.numero} ({euros(peor.total)}) lleva {dias(retraso)} vencida "
                f"(más de {DIAS_VENCIDA_CRITICO})"
            )
        else:
            nivel = RiesgoImpago.ALTO
            motivos.append(
                f"La factura {peor.numero} ({euros(peor.total)}) lleva {dias(retraso)} vencida"
            )

    if pct < PCT_A_TIEMPO_MEDIO:
        if pct < PCT_A_TIEMPO_ALTO:
            nivel = max(nivel, RiesgoImpago.ALTO, key=_ORDEN_RIESGO.index)
            umbral = PCT_A_TIEMPO_ALTO
        else:
            nivel = max(nivel, RiesgoImpago.MEDIO, key=_ORDEN_RIESGO.index)
            umbral = PCT_A_TIEMPO_MEDIO
        motivos.append(
            f"Solo el {texto_porcentaje(pct)} de sus facturas se pagó a tiempo "
            f"(menos del {texto_porcentaje(umbral)})"
        )

    if tendencia is not None and tendencia.empeora:
        nivel = max(nivel, RiesgoImpago.MEDIO, key=_ORDEN_RIESGO.index)
        motivos.append(
            f"Paga más tarde: sus {tendencia.recientes} últimos pagos tardaron de media "
            f"{texto_dias(round(tendencia.media_reciente, 1))}, "
            f"{texto_dias(tendencia.diferencia)} más que antes "
            f"({texto_dias(round(tendencia.media_anterior, 1))})"
        )

    if nivel == RiesgoImpago.BAJO:
        if cobro:
            motivos.append(
                f"Paga bien: ninguna factura vencida y el {texto_porcentaje(pct)} pagado a tiempo"
            )
        else:
            motivos.append("Sin facturas que cobrar: aún no hay historial de pagos")
    return str(nivel), motivos


# ---------------------------------------------------------------- forecast


def _repeticiones_en_ventana(ultima: date, frecuencia: int, hoy: date, dias_ventana: int) -> int:
    """How many of ultima + j·frecuencia (j ≥ 1) fall in (hoy, hoy + dias_ventana]."""
    desde = (hoy - ultima).days
    hasta = desde + dias_ventana
    primera = max(1, desde // frecuencia + 1)
    return max(0, hasta // frecuencia - primera + 1)


def ingresos_esperados(
    *,
    compras: Sequence[date],
    frecuencia: int | None,
    promedio: Decimal | None,
    estado: str,
    oportunidades_abiertas: Sequence[OportunidadHecho],
    hoy: date,
    dias_ventana: int,
) -> Decimal:
    """Expected repeat invoices plus weighted open opportunities closing within the window."""
    total = Decimal(0)
    if compras and frecuencia and promedio is not None and estado not in _SIN_RECOMPRA:
        total += promedio * _repeticiones_en_ventana(compras[-1], frecuencia, hoy, dias_ventana)
    fin = hoy + timedelta(days=dias_ventana)
    for oportunidad in oportunidades_abiertas:
        cierre = oportunidad.fecha_cierre_estimada
        if cierre is not None and hoy <= cierre <= fin:
            total += oportunidad.monto_estimado * oportunidad.probabilidad_cierre / Decimal(100)
    return _dinero(total)


# ---------------------------------------------------------------- churn


def _puntos_compra(retraso: Fraction) -> Fraction:
    """0..70 points from days since the last purchase ÷ the usual gap."""
    if retraso <= 1:
        return 10 * retraso
    if retraso <= 2:
        return 10 + 40 * (retraso - 1)
    return 50 + 20 * min(retraso - 2, Fraction(1))


def riesgo_perdida(
    *,
    dias_desde_ultima_compra: int | None,
    frecuencia: int | None,
    dias_sin_actividad: int | None,
) -> tuple[int, list[str]]:
    """Churn score 0..100 (100 = about to leave) and its explanation."""
    if frecuencia is None or dias_desde_ultima_compra is None:
        # Without two purchases there is no cadence of its own: judge by silence alone.
        if dias_desde_ultima_compra is None:
            base = "Sin compras todavía"
        else:
            base = f"Solo una compra (hace {dias(max(0, dias_desde_ultima_compra))})"
        if dias_sin_actividad is None:
            return 0, [
                f"{base} y ninguna actividad registrada: no hay datos para estimar el riesgo "
                "de pérdida (0/100)"
            ]
        score = min(100, dias_sin_actividad)
        return score, [
            f"{base}: sin cadencia de compra propia, el riesgo de pérdida se basa solo en la "
            f"inactividad, 1 punto por día sin actividad ({dias(dias_sin_actividad)}): "
            f"{score}/100"
        ]

    retraso = Fraction(max(0, dias_desde_ultima_compra), frecuencia)
    puntos_compra = _redondear(_puntos_compra(retraso))
    if dias_sin_actividad is None:
        puntos_actividad = PUNTOS_INACTIVIDAD_MAX
        actividad = "ninguna actividad registrada"
    else:
        puntos_actividad = min(PUNTOS_INACTIVIDAD_MAX, dias_sin_actividad)
        actividad = f"{dias(dias_sin_actividad)} sin actividad"
    score = min(100, puntos_compra + puntos_actividad)
    motivos = [
        f"Última compra hace {dias(max(0, dias_desde_ultima_compra))} y suele comprar cada "
        f"{dias(frecuencia)} ({texto_numero(round(float(retraso), 1))} veces su intervalo "
        f"habitual): {puntos_compra} puntos",
        f"{actividad[0].upper()}{actividad[1:]}: {puntos_actividad} puntos",
        f"Riesgo de pérdida {score}/100",
    ]
    return score, motivos


def nivel_riesgo_perdida(score: int) -> str:
    """Band of the churn score: bajo < 30 ≤ medio < 60 ≤ alto < 80 ≤ critico."""
    if score >= PERDIDA_CRITICO:
        return RiesgoImpago.CRITICO
    if score >= PERDIDA_ALTO:
        return RiesgoImpago.ALTO
    if score >= PERDIDA_MEDIO:
        return RiesgoImpago.MEDIO
    return RiesgoImpago.BAJO


def salud_general(riesgo_impago_nivel: str, riesgo_perdida_score: int) -> str:
    """The worse of the two risks: bajo→excelente, medio→buena, alto→en_riesgo, critico→critica."""
    peor = max(
        RiesgoImpago(riesgo_impago_nivel),
        RiesgoImpago(nivel_riesgo_perdida(riesgo_perdida_score)),
        key=_ORDEN_RIESGO.index,
    )
    return str(_SALUD_POR_RIESGO[peor])


# ---------------------------------------------------------------- the whole picture


def _local(instante: datetime, tz: tzinfo) -> datetime:
    # Naive instants are read in the business time zone, as the API does.
    return instante.replace(tzinfo=tz) if instante.tzinfo is None else instante.astimezone(tz)


def calcular_salud(
    *,
    facturas: Sequence[FacturaHecho],
    fechas_actividad: Sequence[datetime],
    oportunidades_abiertas: Sequence[OportunidadHecho],
    estado: str,
    hoy: date,
    ahora: datetime,
    tz: tzinfo = MADRID,
) -> Salud:
    """Every health metric of contract §4 for one client, as of `hoy` / `ahora`."""
    cobro = de_cobro(facturas)
    pagadas = [f for f in cobro if f.fecha_pago is not None]
    impagadas = [f for f in cobro if f.fecha_pago is None]
    vencidas = facturas_vencidas(facturas, hoy)
    compras = fechas_compra(facturas)
    frecuencia = frecuencia_compra(compras)
    promedio = monto_promedio(facturas)

    ahora_local = _local(ahora, tz)
    pasadas = sorted(_local(a, tz) for a in fechas_actividad if _local(a, tz) <= ahora_local)
    ultima_interaccion = pasadas[-1] if pasadas else None
    dias_sin_actividad = (
        max(0, (hoy - ultima_interaccion.date()).days) if ultima_interaccion else None
    )
    recientes = sum(1 for a in pasadas if (hoy - a.date()).days < VENTANA_ACTIVIDAD_DIAS)

    dias_desde_compra = (hoy - compras[-1]).days if compras else None
    nivel_impago, motivos_impago = riesgo_impago(facturas, hoy)
    score, motivos_perdida = riesgo_perdida(
        dias_desde_ultima_compra=dias_desde_compra,
        frecuencia=frecuencia,
        dias_sin_actividad=dias_sin_actividad,
    )

    def esperados(dias_ventana: int) -> Decimal:
        return ingresos_esperados(
            compras=compras,
            frecuencia=frecuencia,
            promedio=promedio,
            estado=estado,
            oportunidades_abiertas=oportunidades_abiertas,
            hoy=hoy,
            dias_ventana=dias_ventana,
        )

    return Salud(
        ltv_lifetime_value=calcular_ltv(facturas),
        monto_promedio_factura=promedio,
        dias_promedio_para_pagar=dias_promedio_para_pagar(facturas),
        porcentaje_pagos_a_tiempo=porcentaje_a_tiempo(facturas, hoy),
        factura_pagada_mas_antigua=min((f.fecha_emision for f in pagadas), default=None),
        factura_impagada_mas_antigua=min((f.fecha_emision for f in impagadas), default=None),
        frecuencia_compra_dias=frecuencia,
        meses_como_cliente=meses_entre(compras[0], hoy) if compras else None,
        fecha_proxima_factura_esperada=(
            compras[-1] + timedelta(days=frecuencia) if frecuencia is not None else None
        ),
        ingresos_esperados_30_dias=esperados(30),
        ingresos_esperados_90_dias=esperados(90),
        riesgo_impago_nivel=nivel_impago,
        riesgo_perdida_score=score,
        dias_sin_actividad=dias_sin_actividad,
        numero_actividades_ultimos_30_dias=recientes,
        ultima_interaccion=ultima_interaccion,
        salud_general=salud_general(nivel_impago, score),
        motivos=[*motivos_impago, *motivos_perdida],
        facturas_vencidas=len(vencidas),
        importe_vencido=_dinero(sum((f.total for f in vencidas), Decimal(0))),
        fecha_primera_compra=compras[0] if compras else None,
        fecha_ultima_compra=compras[-1] if compras else None,
        dias_desde_ultima_compra=dias_desde_compra,
        tendencia_pago=tendencia_pago(facturas),
        motivos_impago=motivos_impago,
        motivos_perdida=motivos_perdida,
    )


# ---------------------------------------------------------------- lifecycle and VIP


def calcular_estado(
    *,
    estado_actual: str,
    ultima_compra: date | None,
    hoy: date,
    dias_dormido: int,
    en_top_ltv: bool,
    compra_nueva: bool = False,
) -> str:
    """Lifecycle state of contract §4; cliente_perdido stays until a new purchase."""
    if estado_actual == EstadoCliente.CLIENTE_PERDIDO and not compra_nueva:
        return str(EstadoCliente.CLIENTE_PERDIDO)
    if ultima_compra is None:
        return str(EstadoCliente.PROSPECTO)
    if (hoy - ultima_compra).days > dias_dormido:
        return str(EstadoCliente.CLIENTE_DORMIDO)
    return str(EstadoCliente.VIP if en_top_ltv else EstadoCliente.CLIENTE_ACTIVO)


def umbral_vip(ltvs_de_compradores: Sequence[Decimal]) -> Decimal | None:
    """LTV of the k-th best buyer, k = max(1, ⌊10 % of buyers⌋); None when nobody bought."""
    compradores = sorted((v for v in ltvs_de_compradores if v > 0), reverse=True)
    if not compradores:
        return None
    k = max(1, len(compradores) * 10 // 100)
    return compradores[k - 1]


def es_top_ltv(ltv: Decimal, umbral: Decimal | None) -> bool:
    """Within the VIP threshold: a buyer whose LTV reaches it (ties included)."""
    return umbral is not None and ltv > 0 and ltv >= umbral
