"""Health metrics of contract §4 at fixed dates: what the owner reads on a client's card."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smartbilling_crm.salud.motor.cadencia import (
    frecuencia_compra,
    meses_entre,
    nivel_riesgo_perdida,
    riesgo_perdida,
)
from smartbilling_crm.salud.motor.hechos import FacturaHecho, OportunidadHecho, Salud
from smartbilling_crm.salud.motor.metricas import calcular_salud, salud_general

MADRID = ZoneInfo("Europe/Madrid")
HOY = date(2025, 12, 15)
AHORA = datetime(2025, 12, 15, 12, 0, tzinfo=MADRID)


def d(iso: str) -> date:
    return date.fromisoformat(iso)


def fac(
    numero: str,
    emision: str,
    base: str = "1000",
    *,
    total: str | None = None,
    vence: str | None = "+30",
    pagada: str | None = None,
    anulada: bool = False,
) -> FacturaHecho:
    """An invoice; `vence` is an ISO date, '+N' days after issue, or None (no due date)."""
    emitida = d(emision)
    if vence is None:
        vencimiento = None
    elif vence.startswith("+"):
        vencimiento = emitida + timedelta(days=int(vence[1:]))
    else:
        vencimiento = d(vence)
    base_d = Decimal(base)
    return FacturaHecho(
        factura_id=f"id-{numero}",
        numero=numero,
        fecha_emision=emitida,
        fecha_vencimiento=vencimiento,
        base_imponible=base_d,
        total=Decimal(total) if total is not None else (base_d * Decimal("1.21")),
        fecha_pago=d(pagada) if pagada else None,
        anulada=anulada,
    )


def at(iso: str) -> datetime:
    """An activity instant in Madrid time."""
    return datetime.fromisoformat(iso).replace(tzinfo=MADRID)


def salud(
    facturas: list[FacturaHecho],
    *,
    actividades: list[datetime] | None = None,
    oportunidades: list[OportunidadHecho] | None = None,
    estado: str = "cliente_activo",
    hoy: date = HOY,
    ahora: datetime = AHORA,
) -> Salud:
    return calcular_salud(
        facturas=facturas,
        fechas_actividad=actividades or [],
        oportunidades_abiertas=oportunidades or [],
        estado=estado,
        hoy=hoy,
        ahora=ahora,
    )


# ------------------------------------------------------------------ invoice metrics

CASOS_FACTURAS: list[tuple[str, list[FacturaHecho], dict[str, Any]]] = [
    (
        "sin facturas",
        [],
        {
            "ltv_lifetime_value": Decimal("0.00"),
            "monto_promedio_factura": None,
            "dias_promedio_para_pagar": None,
            "porcentaje_pagos_a_tiempo": 100.0,
            "factura_pagada_mas_antigua": None,
            "factura_impagada_mas_antigua": None,
            "frecuencia_compra_dias": None,
            "meses_como_cliente": None,
            "fecha_proxima_factura_esperada": None,
            "riesgo_impago_nivel": "bajo",
            "facturas_vencidas": 0,
            "importe_vencido": Decimal("0.00"),
        },
    ),
    (
        "una factura, sin vencer",
        [fac("2025/0001", "2025-12-01", "2066.12", total="2500.00")],
        {
            "ltv_lifetime_value": Decimal("2066.12"),
            "monto_promedio_factura": Decimal("2066.12"),
            "dias_promedio_para_pagar": None,
            "porcentaje_pagos_a_tiempo": 100.0,
            "factura_pagada_mas_antigua": None,
            "factura_impagada_mas_antigua": d("2025-12-01"),
            "frecuencia_compra_dias": None,
            "meses_como_cliente": 0,
            "fecha_proxima_factura_esperada": None,
            "riesgo_impago_nivel": "bajo",
            "facturas_vencidas": 0,
        },
    ),
    (
        "todas anuladas cuentan como ninguna",
        [
            fac("2025/0001", "2025-01-10", anulada=True),
            fac("2025/0002", "2025-02-10", anulada=True, pagada="2025-02-12"),
        ],
        {
            "ltv_lifetime_value": Decimal("0.00"),
            "monto_promedio_factura": None,
            "dias_promedio_para_pagar": None,
            "factura_impagada_mas_antigua": None,
            "frecuencia_compra_dias": None,
            "meses_como_cliente": None,
            "riesgo_impago_nivel": "bajo",
            "facturas_vencidas": 0,
        },
    ),
    (
        "una rectificativa resta del LTV y no es una compra ni una deuda",
        [
            fac("2025/0001", "2025-09-01", "1000", pagada="2025-09-10"),
            fac("2025/0002", "2025-10-01", "2000", pagada="2025-10-10"),
            # Unpaid and "due" long ago, but the client owes nothing on a credit note.
            fac("R2025/0001", "2025-10-05", "-500", total="-605"),
        ],
        {
            "ltv_lifetime_value": Decimal("2500.00"),
            "monto_promedio_factura": Decimal("1500.00"),
            "frecuencia_compra_dias": 30,
            "factura_impagada_mas_antigua": None,
            "riesgo_impago_nivel": "bajo",
            "facturas_vencidas": 0,
            "porcentaje_pagos_a_tiempo": 100.0,
        },
    ),
    (
        "varias facturas el mismo día son una sola compra",
        [
            fac("2025/0001", "2025-11-01", "100", pagada="2025-11-05"),
            fac("2025/0002", "2025-11-01", "200", pagada="2025-11-05"),
            fac("2025/0003", "2025-11-01", "300", pagada="2025-11-05"),
            fac("2025/0004", "2025-11-21", "400", pagada="2025-11-25"),
        ],
        {
            "ltv_lifetime_value": Decimal("1000.00"),
            "monto_promedio_factura": Decimal("250.00"),
            "frecuencia_compra_dias": 20,
            "fecha_proxima_factura_esperada": d("2025-12-11"),
            "dias_promedio_para_pagar": 4.0,
            "factura_pagada_mas_antigua": d("2025-11-01"),
        },
    ),
    (
        "varias facturas en un único día: aún no hay cadencia",
        [fac("2025/0001", "2025-11-01"), fac("2025/0002", "2025-11-01")],
        {"frecuencia_compra_dias": None, "fecha_proxima_factura_esperada": None},
    ),
    (
        "una factura que vence hoy sin pagar no está vencida",
        [fac("2025/0001", "2025-11-15", vence="2025-12-15")],
        {
            "porcentaje_pagos_a_tiempo": 100.0,
            "riesgo_impago_nivel": "bajo",
            "facturas_vencidas": 0,
            "importe_vencido": Decimal("0.00"),
        },
    ),
    (
        "vencida ayer: alto, y cuenta como no pagada a tiempo",
        [fac("2025/0001", "2025-11-14", vence="2025-12-14", total="1210.00")],
        {
            "porcentaje_pagos_a_tiempo": 0.0,
            "riesgo_impago_nivel": "alto",
            "facturas_vencidas": 1,
            "importe_vencido": Decimal("1210.00"),
        },
    ),
    (
        "pagada el mismo día del vencimiento: a tiempo",
        [fac("2025/0001", "2025-11-01", vence="2025-12-01", pagada="2025-12-01")],
        {"porcentaje_pagos_a_tiempo": 100.0, "dias_promedio_para_pagar": 30.0},
    ),
    (
        "pagada un día tarde: fuera de plazo",
        [fac("2025/0001", "2025-11-01", vence="2025-12-01", pagada="2025-12-02")],
        {"porcentaje_pagos_a_tiempo": 0.0, "riesgo_impago_nivel": "alto"},
    ),
    (
        "sin fecha de vencimiento: pagada cuenta a tiempo, impagada nunca vence",
        [
            fac("2025/0001", "2025-01-01", vence=None, pagada="2025-06-01"),
            fac("2025/0002", "2025-02-01", vence=None),
        ],
        {
            "porcentaje_pagos_a_tiempo": 100.0,
            "facturas_vencidas": 0,
            "riesgo_impago_nivel": "bajo",
            "dias_promedio_para_pagar": 151.0,
            "factura_impagada_mas_antigua": d("2025-02-01"),
            "factura_pagada_mas_antigua": d("2025-01-01"),
        },
    ),
    (
        "vencida hace justo 30 días: alto, no crítico",
        [fac("2025/0001", "2025-10-16", vence="2025-11-15")],
        {"riesgo_impago_nivel": "alto", "facturas_vencidas": 1},
    ),
    (
        "vencida hace 31 días: crítico",
        [fac("2025/0001", "2025-10-15", vence="2025-11-14")],
        {"riesgo_impago_nivel": "critico", "salud_general": "critica"},
    ),
    (
        "2 de 3 a tiempo (66,7 %): alto",
        [
            fac("2025/0001", "2025-09-01", vence="+10", pagada="2025-09-05"),
            fac("2025/0002", "2025-10-01", vence="+10", pagada="2025-10-05"),
            fac("2025/0003", "2025-11-01", vence="+10", pagada="2025-11-20"),
        ],
        {"porcentaje_pagos_a_tiempo": 66.7, "riesgo_impago_nivel": "alto"},
    ),
    (
        "8 de 10 a tiempo (80 %): medio",
        [
            fac(f"2025/{i:04d}", f"2025-{i:02d}-01", vence="+10", pagada=f"2025-{i:02d}-05")
            for i in range(1, 9)
        ]
        + [
            fac("2025/0009", "2025-09-01", vence="+10", pagada="2025-09-20"),
            fac("2025/0010", "2025-10-01", vence="+10", pagada="2025-10-20"),
        ],
        {"porcentaje_pagos_a_tiempo": 80.0, "riesgo_impago_nivel": "medio"},
    ),
    (
        "meses como cliente desde la primera compra",
        [fac("2025/0001", "2024-12-15", pagada="2024-12-20"), fac("2025/0002", "2025-12-01")],
        {"meses_como_cliente": 12, "factura_impagada_mas_antigua": d("2025-12-01")},
    ),
]


@pytest.mark.parametrize(
    ("facturas", "esperado"),
    [pytest.param(f, e, id=caso) for caso, f, e in CASOS_FACTURAS],
)
def test_metricas_de_facturas(facturas: list[FacturaHecho], esperado: dict[str, Any]) -> None:
    resultado = salud(facturas)
    assert {k: getattr(resultado, k) for k in esperado} == esperado


def test_motivos_de_una_factura_critica_nombran_factura_importe_y_dias() -> None:
    resultado = salud([fac("2025/0123", "2025-10-01", vence="2025-11-03", total="2500.00")])
    assert resultado.riesgo_impago_nivel == "critico"
    assert resultado.motivos_impago == [
        "1 factura vencida sin pagar por 2.500,00 €",
        "La factura 2025/0123 (2.500,00 €) lleva 42 días vencida (más de 30)",
        "Solo el 0 % de sus facturas se pagó a tiempo (menos del 70 %)",
    ]
    assert resultado.motivos[: len(resultado.motivos_impago)] == resultado.motivos_impago


def test_motivo_de_buen_pagador() -> None:
    resultado = salud([fac("2025/0001", "2025-11-01", pagada="2025-11-10")])
    assert resultado.motivos_impago == [
        "Paga bien: ninguna factura vencida y el 100 % pagado a tiempo"
    ]


@pytest.mark.parametrize(
    ("compras", "esperado"),
    [
        ([], None),
        (["2025-01-01"], None),
        (["2025-01-01", "2025-01-31"], 30),
        # Odd number of gaps: the middle one, so one long pause does not skew it.
        (["2025-01-01", "2025-01-31", "2025-03-02", "2025-05-31"], 30),
        # Even number of gaps: the mean of the two middle ones, rounded half up.
        (["2025-01-01", "2025-01-11", "2025-02-01"], 16),
        (["2025-01-01", "2025-01-21", "2025-03-02"], 30),
        # Repeated dates are one purchase.
        (["2025-01-01", "2025-01-01", "2025-01-15"], 14),
    ],
)
def test_frecuencia_es_la_mediana_de_los_huecos(compras: list[str], esperado: int | None) -> None:
    assert frecuencia_compra([d(c) for c in compras]) == esperado


@pytest.mark.parametrize(
    ("desde", "hasta", "meses"),
    [
        ("2025-01-15", "2025-12-15", 11),
        ("2025-01-15", "2025-12-14", 10),
        ("2025-01-31", "2025-02-28", 0),
        ("2024-02-29", "2025-02-28", 11),
        ("2025-12-15", "2025-12-15", 0),
        ("2025-12-20", "2025-12-15", 0),
    ],
)
def test_meses_completos(desde: str, hasta: str, meses: int) -> None:
    assert meses_entre(d(desde), d(hasta)) == meses


# ------------------------------------------------------------------ expected revenue

# Monthly buyer: 02/10, 01/11, 01/12 (gaps of 30), 1.000,00 € base each, last on 01/12.
MENSUAL = [
    fac("2025/0001", "2025-10-02", pagada="2025-10-10"),
    fac("2025/0002", "2025-11-01", pagada="2025-11-10"),
    fac("2025/0003", "2025-12-01"),
]


def opp(nombre: str, monto: str, prob: int, cierre: str | None) -> OportunidadHecho:
    return OportunidadHecho(
        id=f"o-{nombre}",
        nombre_proyecto=nombre,
        estado="presupuesto",
        monto_estimado=Decimal(monto),
        probabilidad_cierre=prob,
        fecha_cierre_estimada=d(cierre) if cierre else None,
    )


@pytest.mark.parametrize(
    ("facturas", "oportunidades", "estado", "esperado_30", "esperado_90"),
    [
        # Next purchases by cadence: 31/12 (30-day window), 30/01 and 01/03 (90-day window).
        (MENSUAL, [], "cliente_activo", "1000.00", "3000.00"),
        (MENSUAL, [], "vip", "1000.00", "3000.00"),
        # Dormant or lost clients are expected to buy nothing by cadence.
        (MENSUAL, [], "cliente_dormido", "0.00", "0.00"),
        (MENSUAL, [], "cliente_perdido", "0.00", "0.00"),
        # No cadence with a single purchase.
        ([MENSUAL[0]], [], "cliente_activo", "0.00", "0.00"),
        # Opportunities weighted by probability, only when closing in [hoy, hoy+N].
        (
            [],
            [
                opp("hoy", "1000", 50, "2025-12-15"),
                opp("dia30", "2000", 10, "2026-01-14"),
                opp("dia31", "10000", 20, "2026-01-15"),
                opp("dia90", "3333.33", 33, "2026-03-15"),
                opp("dia91", "99999", 90, "2026-03-16"),
                opp("ayer", "99999", 90, "2025-12-14"),
                opp("sin_fecha", "99999", 90, None),
            ],
            "prospecto",
            "700.00",
            "3800.00",
        ),
        (
            MENSUAL,
            [opp("ERP", "45000", 50, "2026-01-10")],
            "cliente_dormido",
            "22500.00",
            "22500.00",
        ),
    ],
)
def test_ingresos_esperados(
    facturas: list[FacturaHecho],
    oportunidades: list[OportunidadHecho],
    estado: str,
    esperado_30: str,
    esperado_90: str,
) -> None:
    resultado = salud(facturas, oportunidades=oportunidades, estado=estado)
    assert resultado.ingresos_esperados_30_dias == Decimal(esperado_30)
    assert resultado.ingresos_esperados_90_dias == Decimal(esperado_90)


@pytest.mark.parametrize(
    ("hoy", "esperado_30"),
    [
        # Projected dates 15/12, 14/01, ...: the window is (hoy, hoy+30].
        ("2025-12-15", "1000.00"),  # 15/12 is today (not counted), 14/01 is day 30
        ("2025-12-14", "1000.00"),  # 15/12 counts, 13/01 is the edge, 14/01 is out
        ("2025-12-16", "1000.00"),  # late by a day: 14/01 still within
        ("2026-01-14", "1000.00"),  # 13/02
    ],
)
def test_ventana_de_ingresos_es_semiabierta(hoy: str, esperado_30: str) -> None:
    facturas = [fac("2025/0001", "2025-10-16"), fac("2025/0002", "2025-11-15")]
    resultado = salud(facturas, hoy=d(hoy))
    assert resultado.fecha_proxima_factura_esperada == d("2025-12-15")
    assert resultado.ingresos_esperados_30_dias == Decimal(esperado_30)


def test_proxima_factura_puede_estar_en_el_pasado() -> None:
    resultado = salud(MENSUAL[:2])
    assert resultado.fecha_proxima_factura_esperada == d("2025-12-01")
    # Late: no projected purchase in the past counts, the cadence goes on from 31/12.
    assert resultado.ingresos_esperados_30_dias == Decimal("1000.00")


# ------------------------------------------------------------------ activity


def test_actividad_cuenta_solo_hasta_ahora_y_en_hora_de_madrid() -> None:
    actividades = [
        at("2025-12-15T13:00"),  # later today: not yet
        at("2025-12-20T10:00"),  # future
        # 23:30 UTC on the 14th is 00:30 of the 15th in Madrid: today.
        datetime.fromisoformat("2025-12-14T23:30:00+00:00"),
        at("2025-11-16T09:00"),  # 29 days ago: inside the 30-day window
        at("2025-11-15T09:00"),  # 30 days ago: outside
        at("2025-01-01T09:00"),
    ]
    resultado = salud([], actividades=actividades, estado="prospecto")
    assert resultado.dias_sin_actividad == 0
    assert resultado.numero_actividades_ultimos_30_dias == 2
    assert resultado.ultima_interaccion == datetime.fromisoformat("2025-12-15T00:30:00+01:00")


def test_sin_actividades() -> None:
    resultado = salud([], estado="prospecto")
    assert resultado.dias_sin_actividad is None
    assert resultado.numero_actividades_ultimos_30_dias == 0
    assert resultado.ultima_interaccion is None


# ------------------------------------------------------------------ payment trend


def _pagos(dias_para_pagar: list[int]) -> list[FacturaHecho]:
    """Monthly invoices paid after the given days; issued in reverse so order is by payment."""
    facturas = []
    for i, retraso in enumerate(dias_para_pagar):
        emision = date(2025, 1, 1) + timedelta(days=30 * i)
        facturas.append(
            FacturaHecho(
                factura_id=f"f{i}",
                numero=f"2025/{i:04d}",
                fecha_emision=emision,
                fecha_vencimiento=emision + timedelta(days=60),
                base_imponible=Decimal("1000"),
                total=Decimal("1210"),
                fecha_pago=emision + timedelta(days=retraso),
                anulada=False,
            )
        )
    return list(reversed(facturas))


@pytest.mark.parametrize(
    ("dias_para_pagar", "nivel", "diferencia"),
    [
        # 3 earlier at 20 days, last 3 at 32: 12 days worse -> early warning, medio.
        ([20, 20, 20, 32, 32, 32], "medio", 12.0),
        # Exactly 10 days worse still warns.
        ([20, 20, 20, 30, 30, 30], "medio", 10.0),
        ([20, 20, 20, 29, 30, 30], "bajo", 9.7),
        # Paying faster is no warning.
        ([40, 40, 40, 10, 10, 10], "bajo", -30.0),
        # Only 2 earlier payments: not enough history, no signal.
        ([20, 20, 50, 50, 50], "bajo", None),
    ],
)
def test_aviso_temprano_de_tendencia_de_pago(
    dias_para_pagar: list[int], nivel: str, diferencia: float | None
) -> None:
    resultado = salud(_pagos(dias_para_pagar))
    assert resultado.riesgo_impago_nivel == nivel
    if diferencia is None:
        assert resultado.tendencia_pago is None
    else:
        assert resultado.tendencia_pago is not None
        assert resultado.tendencia_pago.diferencia == diferencia


def test_tendencia_ordena_por_fecha_de_pago_no_de_emision() -> None:
    # The slow invoice was issued first but paid last: it is one of the "last 3".
    lenta = fac("2024/0099", "2024-12-01", vence="+90", pagada="2025-08-01")
    facturas = [*_pagos([20, 20, 20, 20, 20]), lenta]
    resultado = salud(facturas)
    assert resultado.tendencia_pago is not None
    assert resultado.tendencia_pago.media_reciente == pytest.approx((20 + 20 + 243) / 3)
    assert resultado.riesgo_impago_nivel == "medio"
    assert any(m.startswith("Paga más tarde: sus 3 últimos pagos") for m in resultado.motivos)


# ------------------------------------------------------------------ churn score


def _comprador_regular(ultima: date, gap: int, n: int = 4) -> list[FacturaHecho]:
    return [
        FacturaHecho(
            factura_id=f"f{i}",
            numero=f"2025/{i:04d}",
            fecha_emision=ultima - timedelta(days=gap * i),
            fecha_vencimiento=None,
            base_imponible=Decimal("500"),
            total=Decimal("605"),
            fecha_pago=ultima - timedelta(days=gap * i),
            anulada=False,
        )
        for i in range(n)
    ]


@pytest.mark.parametrize(
    ("dias_compra", "gap", "dias_actividad", "score"),
    [
        # Within the gap and active: low.
        (0, 30, 0, 0),
        (30, 30, 15, 25),
        (15, 30, 3, 8),  # 5 + 3
        # Between one and two gaps late.
        (45, 30, 10, 40),  # 10 + 40 × 0.5 = 30, + 10
        # More than twice the gap late and silent for 30 days: at least 70.
        (61, 30, 30, 81),  # 50 + 20 × 1/30 = 50.67 -> 51, + 30
        (200, 30, 100, 100),
        (90, 30, None, 100),
    ],
)
def test_puntuacion_de_perdida_de_un_comprador_regular(
    dias_compra: int, gap: int, dias_actividad: int | None, score: int
) -> None:
    ultima = HOY - timedelta(days=dias_compra)
    actividades = [] if dias_actividad is None else [at(f"{HOY - timedelta(dias_actividad)}T10:00")]
    resultado = salud(_comprador_regular(ultima, gap), actividades=actividades)
    assert resultado.frecuencia_compra_dias == gap
    assert resultado.riesgo_perdida_score == score


def test_motivos_de_perdida_explican_los_puntos() -> None:
    ultima = HOY - timedelta(days=75)
    resultado = salud(
        _comprador_regular(ultima, 30), actividades=[at(f"{HOY - timedelta(40)}T10:00")]
    )
    assert resultado.motivos_perdida == [
        "Última compra hace 75 días y suele comprar cada 30 días "
        "(2,5 veces su intervalo habitual): 60 puntos",
        "40 días sin actividad: 30 puntos",
        "Riesgo de pérdida 90/100",
    ]
    assert resultado.salud_general == "critica"


@given(
    gaps=st.lists(st.integers(min_value=1, max_value=120), min_size=2, max_size=8),
    retraso_extra=st.integers(min_value=1, max_value=400),
    silencio=st.one_of(st.none(), st.integers(min_value=30, max_value=400)),
)
def test_regular_mas_de_dos_huecos_tarde_y_sin_actividad_en_30_dias_es_70_o_mas(
    gaps: list[int], retraso_extra: int, silencio: int | None
) -> None:
    compras = [date(2020, 1, 1)]
    for gap in gaps:
        compras.append(compras[-1] + timedelta(days=gap))
    frecuencia = frecuencia_compra(compras)
    assert frecuencia is not None
    hoy = compras[-1] + timedelta(days=2 * frecuencia + retraso_extra)
    facturas = [fac(f"F{i}", c.isoformat()) for i, c in enumerate(compras)]
    actividades = [] if silencio is None else [at(f"{hoy - timedelta(silencio)}T10:00")]
    resultado = salud(
        facturas,
        actividades=actividades,
        hoy=hoy,
        ahora=datetime.combine(hoy, datetime.min.time(), MADRID) + timedelta(hours=23),
    )
    assert resultado.numero_actividades_ultimos_30_dias == 0
    assert resultado.riesgo_perdida_score >= 70


@given(
    gaps=st.lists(st.integers(min_value=1, max_value=120), min_size=2, max_size=8),
    fraccion=st.floats(min_value=0, max_value=1),
    silencio=st.integers(min_value=0, max_value=15),
)
def test_regular_dentro_de_su_hueco_y_activo_en_15_dias_es_30_o_menos(
    gaps: list[int], fraccion: float, silencio: int
) -> None:
    compras = [date(2020, 1, 1)]
    for gap in gaps:
        compras.append(compras[-1] + timedelta(days=gap))
    frecuencia = frecuencia_compra(compras)
    assert frecuencia is not None
    hoy = compras[-1] + timedelta(days=int(frecuencia * fraccion))
    facturas = [fac(f"F{i}", c.isoformat()) for i, c in enumerate(compras)]
    resultado = salud(
        facturas,
        actividades=[at(f"{hoy - timedelta(silencio)}T00:00")],
        hoy=hoy,
        ahora=datetime.combine(hoy, datetime.min.time(), MADRID) + timedelta(hours=23),
    )
    assert resultado.riesgo_perdida_score <= 30


@pytest.mark.parametrize(
    ("facturas", "dias_actividad", "score", "motivo"),
    [
        (
            [],
            45,
            45,
            "Sin compras todavía: sin cadencia de compra propia, el riesgo de pérdida se basa "
            "solo en la inactividad, 1 punto por día sin actividad (45 días): 45/100",
        ),
        (
            [],
            150,
            100,
            "Sin compras todavía: sin cadencia de compra propia, el riesgo de pérdida se basa "
            "solo en la inactividad, 1 punto por día sin actividad (150 días): 100/100",
        ),
        (
            [],
            None,
            0,
            "Sin compras todavía y ninguna actividad registrada: no hay datos para estimar el "
            "riesgo de pérdida (0/100)",
        ),
        (
            [fac("2025/0001", "2025-10-16")],
            20,
            20,
            "Solo una compra (hace 60 días): sin cadencia de compra propia, el riesgo de "
            "pérdida se basa solo en la inactividad, 1 punto por día sin actividad "
            "(20 días): 20/100",
        ),
    ],
)
def test_sin_cadencia_la_perdida_se_basa_solo_en_la_inactividad(
    facturas: list[FacturaHecho], dias_actividad: int | None, score: int, motivo: str
) -> None:
    actividades = [] if dias_actividad is None else [at(f"{HOY - timedelta(dias_actividad)}T10:00")]
    resultado = salud(facturas, actividades=actividades, estado="prospecto")
    assert resultado.riesgo_perdida_score == score
    assert resultado.motivos_perdida == [motivo]


@given(
    dias_compra=st.one_of(st.none(), st.integers(min_value=-5, max_value=5000)),
    frecuencia=st.one_of(st.none(), st.integers(min_value=1, max_value=400)),
    silencio=st.one_of(st.none(), st.integers(min_value=0, max_value=5000)),
)
def test_puntuacion_siempre_entre_0_y_100(
    dias_compra: int | None, frecuencia: int | None, silencio: int | None
) -> None:
    score, motivos = riesgo_perdida(
        dias_desde_ultima_compra=dias_compra, frecuencia=frecuencia, dias_sin_actividad=silencio
    )
    assert 0 <= score <= 100
    assert motivos


# ------------------------------------------------------------------ overall health


@pytest.mark.parametrize(
    ("impago", "score", "nivel_perdida", "general"),
    [
        ("bajo", 0, "bajo", "excelente"),
        ("bajo", 29, "bajo", "excelente"),
        ("bajo", 30, "medio", "buena"),
        ("medio", 0, "bajo", "buena"),
        ("bajo", 59, "medio", "buena"),
        ("bajo", 60, "alto", "en_riesgo"),
        ("alto", 10, "bajo", "en_riesgo"),
        ("medio", 79, "alto", "en_riesgo"),
        ("bajo", 80, "critico", "critica"),
        ("critico", 0, "bajo", "critica"),
        ("alto", 100, "critico", "critica"),
    ],
)
def test_salud_general_es_el_peor_de_los_dos_riesgos(
    impago: str, score: int, nivel_perdida: str, general: str
) -> None:
    assert nivel_riesgo_perdida(score) == nivel_perdida
    assert salud_general(impago, score) == general


def test_cliente_con_actividad_pero_sin_compras() -> None:
    resultado = salud(
        [],
        actividades=[at("2025-12-10T10:00"), at("2025-12-01T10:00"), at("2025-11-01T10:00")],
        oportunidades=[opp("Web", "6000", 50, "2026-01-31")],
        estado="prospecto",
    )
    assert resultado.ltv_lifetime_value == Decimal("0.00")
    assert resultado.dias_sin_actividad == 5
    assert resultado.numero_actividades_ultimos_30_dias == 2
    assert resultado.riesgo_perdida_score == 5
    assert resultado.riesgo_impago_nivel == "bajo"
    assert resultado.salud_general == "excelente"
    assert resultado.ingresos_esperados_30_dias == Decimal("0.00")
    assert resultado.ingresos_esperados_90_dias == Decimal("3000.00")
    assert resultado.motivos_impago == ["Sin facturas que cobrar: aún no hay historial de pagos"]
