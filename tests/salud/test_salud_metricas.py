"""Health metrics of contract §4 at fixed dates: what the owner reads on a client's card."""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smartbilling_crm.salud.motor.cadencia import (
    frecuencia_compra,
    meses_entre,
    nivel_riesgo_perdida,
)
from smartbilling_crm.salud.motor.compras import compras_diarias, resumir
from smartbilling_crm.salud.motor.hechos import (
    FacturaHecho,
    OportunidadHecho,
    Salud,
    redondear,
    un_decimal,
)
from smartbilling_crm.salud.motor.metricas import calcular_salud, salud_general
from smartbilling_crm.salud.motor.modelo_compras import (
    PrediccionCompras,
    modelo_por_defecto,
    predecir,
)

MADRID = ZoneInfo("Europe/Madrid")
HOY = date(2025, 12, 15)
AHORA = datetime(2025, 12, 15, 12, 0, tzinfo=MADRID)
MODELO = modelo_por_defecto(HOY)


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
    """The engine as the service runs it: with the purchase model's prediction (here the
    model's prior, as before the first recompute)."""
    prediccion = predecir(MODELO, resumir(compras_diarias(facturas), hoy))
    return calcular_salud(
        facturas=facturas,
        fechas_actividad=actividades or [],
        oportunidades_abiertas=oportunidades or [],
        estado=estado,
        hoy=hoy,
        ahora=ahora,
        prediccion=prediccion,
    )


def prediccion_de(facturas: list[FacturaHecho], hoy: date = HOY) -> PrediccionCompras:
    resultado = predecir(MODELO, resumir(compras_diarias(facturas), hoy))
    assert resultado is not None
    return resultado


# ------------------------------------------------------------------ invoice metrics

CASOS_FACTURAS: list[tuple[str, list[FacturaHecho], dict[str, Any]]] = [
    (
        "sin facturas",
        [],
        {
            "ltv_lifetime_value": Decimal("0.00"),
            "monto_promedio_factura": None,
            "dias_promedio_para_pagar": None,
            # No history: null, never an invented 100 % (contract §7).
            "porcentaje_pagos_a_tiempo": None,
            "probabilidad_pago_tardio": None,
            "dso_dias": None,
            "factura_pagada_mas_antigua": None,
            "factura_impagada_mas_antigua": None,
            "frecuencia_compra_dias": None,
            "meses_como_cliente": None,
            "fecha_proxima_factura_esperada": None,
            "riesgo_impago_nivel": "bajo",
            "facturas_vencidas": 0,
            "importe_vencido": Decimal("0.00"),
            "importe_pendiente": Decimal("0.00"),
        },
    ),
    (
        "una factura, sin vencer",
        [fac("2025/0001", "2025-12-01", "2066.12", total="2500.00")],
        {
            "ltv_lifetime_value": Decimal("2066.12"),
            "monto_promedio_factura": Decimal("2066.12"),
            "dias_promedio_para_pagar": None,
            "porcentaje_pagos_a_tiempo": None,  # nothing paid nor overdue yet
            "probabilidad_pago_tardio": None,
            "factura_pagada_mas_antigua": None,
            "factura_impagada_mas_antigua": d("2025-12-01"),
            "frecuencia_compra_dias": None,
            "meses_como_cliente": 0,
            "fecha_proxima_factura_esperada": None,
            "riesgo_impago_nivel": "bajo",
            "facturas_vencidas": 0,
            "importe_pendiente": Decimal("2500.00"),
            "antiguedad_deuda": {
                "no_vencido": Decimal("2500.00"),
                "d1_30": Decimal("0.00"),
                "d31_60": Decimal("0.00"),
                "d61_90": Decimal("0.00"),
                "mas_90": Decimal("0.00"),
            },
            "dso_dias": 90.0,  # 2.500 pending ÷ 2.500 invoiced in 90 days × 90
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
            # Nothing open for the credit to settle: it is the client's money.
            "saldo_a_favor": Decimal("605.00"),
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
            "fecha_segun_cadencia": d("2025-12-11"),  # two purchases, 20 days apart
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
            "porcentaje_pagos_a_tiempo": None,
            "riesgo_impago_nivel": "bajo",
            "facturas_vencidas": 0,
            "importe_vencido": Decimal("0.00"),
        },
    ),
    (
        # A few days late is common (37 % of IBM's invoices): alone it is only medio.
        "vencida ayer: medio, y cuenta como no pagada a tiempo",
        [fac("2025/0001", "2025-11-14", vence="2025-12-14", total="1210.00")],
        {
            "porcentaje_pagos_a_tiempo": 0.0,
            # (1 late + 5 × 0,3) ÷ (1 + 5): the default prior before the first recompute.
            "probabilidad_pago_tardio": 0.417,
            "riesgo_impago_nivel": "medio",
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
        {
            "porcentaje_pagos_a_tiempo": 0.0,
            "dias_medios_de_retraso": 1.0,
            "riesgo_impago_nivel": "medio",
        },
    ),
    (
        # Ley 3/2004: without a due date an invoice is due 30 days after issue.
        "sin fecha de vencimiento: vence a los 30 días",
        [
            fac("2025/0001", "2025-01-01", vence=None, pagada="2025-06-01"),
            fac("2025/0002", "2025-02-01", vence=None),
        ],
        {
            "porcentaje_pagos_a_tiempo": 0.0,
            "facturas_vencidas": 1,
            "dias_medios_de_retraso": 121.0,  # paid 01/06, due 31/01
            "riesgo_impago_nivel": "critico",  # due 03/03, 287 days ago
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
        "2 de 3 a tiempo (66,7 %): medio",
        [
            fac("2025/0001", "2025-09-01", vence="+10", pagada="2025-09-05"),
            fac("2025/0002", "2025-10-01", vence="+10", pagada="2025-10-05"),
            fac("2025/0003", "2025-11-01", vence="+10", pagada="2025-11-20"),
        ],
        {
            "porcentaje_pagos_a_tiempo": 66.7,
            "probabilidad_pago_tardio": 0.313,  # (1 + 1,5) ÷ (3 + 5) = 0,3125, half up
            "riesgo_impago_nivel": "medio",
        },
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
        "1 factura vencida con 2.500,00 € pendientes; la más antigua, 42 días después del "
        "vencimiento",
        "Probabilidad de que pague tarde su próxima factura: 42 % (1 con retraso de "
        "1 factura; la cartera, 30 %)",
    ]
    assert resultado.motivos[: len(resultado.motivos_impago)] == resultado.motivos_impago


def test_motivo_de_buen_pagador() -> None:
    resultado = salud([fac("2025/0001", "2025-11-01", pagada="2025-11-10")])
    assert resultado.motivos_impago == [
        "Paga bien: ninguna factura vencida y el 100 % del importe cobrado a tiempo",
        "Probabilidad de que pague tarde su próxima factura: 25 % (0 con retraso de "
        "1 factura; la cartera, 30 %)",
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


@pytest.mark.parametrize("estado", ["cliente_activo", "vip", "cliente_dormido"])
def test_ingresos_esperados_son_los_del_modelo_de_compras(estado: str) -> None:
    """Expected purchases × expected value per purchase, from the purchase model (a dormant
    client still has its chance of coming back)."""
    prediccion = prediccion_de(MENSUAL)
    resultado = salud(MENSUAL, estado=estado)
    assert resultado.ingresos_esperados_30_dias == prediccion.ingresos_esperados_30_dias > 0
    assert resultado.ingresos_esperados_90_dias == prediccion.ingresos_esperados_90_dias
    assert resultado.compras_esperadas_90_dias == prediccion.compras_esperadas_90_dias
    assert resultado.probabilidad_activo == prediccion.probabilidad_activo


def test_un_cliente_perdido_no_espera_recompras_ni_fecha() -> None:
    resultado = salud(MENSUAL, estado="cliente_perdido")
    assert resultado.ingresos_esperados_30_dias == Decimal("0.00")
    assert resultado.ingresos_esperados_90_dias == Decimal("0.00")
    assert resultado.fecha_proxima_factura_esperada is None
    assert resultado.riesgo_perdida_score == 100
    assert resultado.motivos_perdida == ["Marcado como cliente perdido: riesgo de pérdida 100/100"]


def test_oportunidades_ponderadas_se_suman_si_cierran_en_la_ventana() -> None:
    """Σ amount × probability of open opportunities closing in [hoy, hoy + N]."""
    oportunidades = [
        opp("hoy", "1000", 50, "2025-12-15"),
        opp("dia30", "2000", 10, "2026-01-14"),
        opp("dia31", "10000", 20, "2026-01-15"),
        opp("dia90", "3333.33", 33, "2026-03-15"),
        opp("dia91", "99999", 90, "2026-03-16"),
        opp("ayer", "99999", 90, "2025-12-14"),
        opp("sin_fecha", "99999", 90, None),
    ]
    sin_compras = salud([], oportunidades=oportunidades, estado="prospecto")
    assert sin_compras.ingresos_esperados_30_dias == Decimal("700.00")  # 500 + 200
    assert sin_compras.ingresos_esperados_90_dias == Decimal("3800.00")  # + 2.000 + 1.100
    # With purchases, the opportunity is added to the habitual repeat purchases.
    erp = [opp("ERP", "45000", 50, "2026-01-10")]
    con_compras = salud(MENSUAL, oportunidades=erp, estado="cliente_dormido")
    habitual = prediccion_de(MENSUAL).ingresos_esperados_30_dias
    assert con_compras.ingresos_esperados_30_dias == habitual + Decimal("22500.00")


def test_la_fecha_por_cadencia_puede_estar_en_el_pasado_la_prevista_no() -> None:
    resultado = salud(MENSUAL[:2])
    # By its own cadence the next purchase was due on 01/12: it is late (compra atrasada).
    assert resultado.fecha_segun_cadencia == d("2025-12-01")
    # The model's most likely next purchase is from today on.
    assert resultado.fecha_proxima_factura_esperada is not None
    assert resultado.fecha_proxima_factura_esperada >= HOY


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


@pytest.mark.parametrize("dias_compra", [0, 15, 30, 45, 61, 90, 200])
def test_la_puntuacion_de_perdida_es_cien_menos_la_probabilidad_de_seguir_activo(
    dias_compra: int,
) -> None:
    """riesgo_perdida_score = 100 × (1 − probabilidad_activo), half up; silence does not
    count (it has its own rule, "inactividad")."""
    facturas = _comprador_regular(HOY - timedelta(days=dias_compra), 30)
    prediccion = prediccion_de(facturas)
    for actividades in ([], [at(f"{HOY - timedelta(3)}T10:00")]):
        resultado = salud(facturas, actividades=actividades)
        assert resultado.riesgo_perdida_score == prediccion.riesgo_perdida_score
        esperado = int(
            Decimal(100 * (1 - prediccion.probabilidad_activo)).quantize(Decimal(1), ROUND_HALF_UP)
        )
        assert abs(resultado.riesgo_perdida_score - esperado) <= 1  # p is shown rounded to 3


def test_motivos_de_perdida_dan_la_probabilidad_y_la_historia() -> None:
    ultima = HOY - timedelta(days=75)
    resultado = salud(_comprador_regular(ultima, 30))
    p = prediccion_de(_comprador_regular(ultima, 30))
    porcentaje = int(Decimal(p.probabilidad_activo * 100).quantize(Decimal(1), ROUND_HALF_UP))
    assert resultado.motivos_perdida == [
        "Probabilidad de que vuelva a comprar en los próximos 12 meses: "
        f"{porcentaje} % (4 compras, la última hace 75 días; suele comprar cada 30 días)",
        f"Riesgo de pérdida {p.riesgo_perdida_score}/100",
    ]


@given(
    gaps=st.lists(st.integers(min_value=1, max_value=120), min_size=2, max_size=8),
    retraso=st.integers(min_value=0, max_value=400),
    extra=st.integers(min_value=1, max_value=400),
)
def test_cuanto_mas_tarda_en_volver_mayor_es_el_riesgo(
    gaps: list[int], retraso: int, extra: int
) -> None:
    compras = [date(2020, 1, 1)]
    for gap in gaps:
        compras.append(compras[-1] + timedelta(days=gap))
    facturas = [fac(f"F{i}", c.isoformat()) for i, c in enumerate(compras)]
    antes = compras[-1] + timedelta(days=retraso)
    despues = antes + timedelta(days=extra)
    assert prediccion_de(facturas, antes).riesgo_perdida_score <= (
        prediccion_de(facturas, despues).riesgo_perdida_score
    )


def test_sin_compras_no_se_inventa_el_riesgo_de_perdida() -> None:
    resultado = salud([], actividades=[at(f"{HOY - timedelta(45)}T10:00")], estado="prospecto")
    assert resultado.riesgo_perdida_score == 0
    assert resultado.probabilidad_activo is None
    assert resultado.compras_esperadas_90_dias is None
    assert resultado.motivos_perdida == [
        "Sin compras todavía: no hay historial para estimar si volverá a comprar "
        "(riesgo de pérdida 0/100)"
    ]


@pytest.mark.parametrize("estado", ["cliente_activo", "cliente_dormido"])
def test_quien_compro_sin_factura_hasta_hoy_no_dice_sin_compras(estado: str) -> None:
    """Active (or dormant) by a won opportunity with no invoice, or by an invoice dated after
    today: its reason does not contradict its state ("Sin compras todavía" beside it)."""
    resultado = salud([], estado=estado)
    assert resultado.riesgo_perdida_score == 0
    assert resultado.motivos_perdida == [
        "Sin compras facturadas hasta hoy: no hay historial para estimar si volverá a "
        "comprar (riesgo de pérdida 0/100)"
    ]


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


def test_un_cliente_dormido_nunca_esta_excelente() -> None:
    assert salud_general("bajo", 0, estado="cliente_dormido") == "buena"
    assert salud_general("critico", 0, estado="cliente_dormido") == "critica"


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
    assert resultado.riesgo_perdida_score == 0  # no purchase history to judge
    assert resultado.riesgo_impago_nivel == "bajo"
    assert resultado.salud_general == "excelente"
    assert resultado.ingresos_esperados_30_dias == Decimal("0.00")
    assert resultado.ingresos_esperados_90_dias == Decimal("3000.00")
    assert resultado.motivos_impago == ["Sin facturas que cobrar: aún no hay historial de pagos"]


# ------------------------------------------------------------------ numerical hygiene


def test_el_aviso_de_tendencia_salta_con_diez_dias_exactos() -> None:
    """Means compared exactly: 3 earlier payments at 10, 10 and 11 days (31/3), the last
    3 at 20, 20 and 21 (61/3): exactly +10 days, so the warning fires."""
    dias_pago = [10, 10, 11, 20, 20, 21]
    facturas = [
        fac(f"2025/{i:04d}", (d("2025-01-01") + timedelta(days=30 * i)).isoformat(),
            pagada=(d("2025-01-01") + timedelta(days=30 * i + n)).isoformat())
        for i, n in enumerate(dias_pago)
    ]  # fmt: skip
    tendencia = salud(facturas).tendencia_pago
    assert tendencia is not None
    assert tendencia.diferencia == 10.0
    assert tendencia.empeora


@pytest.mark.parametrize(
    ("valor", "esperado"),
    [
        (Fraction(9, 4), 2.3),
        (Fraction(-9, 4), -2.3),
        (Fraction(1, 20), 0.1),
        (Fraction(37, 3), 12.3),
    ],
)
def test_un_decimal_redondea_la_mitad_hacia_arriba_como_el_dinero(
    valor: Fraction, esperado: float
) -> None:
    assert un_decimal(valor) == esperado


# What un_decimal and redondear mean, with Fractions (as they were computed before the
# integer arithmetic): the fast versions must agree on every rational the engines feed them.
def _un_decimal_referencia(valor: Fraction) -> float:
    signo = -1 if valor < 0 else 1
    return signo * math.floor(abs(valor) * 10 + Fraction(1, 2)) / 10


_RACIONALES = st.one_of(
    st.integers(-(10**15), 10**15),
    st.decimals(-(10**12), 10**12, places=2, allow_nan=False, allow_infinity=False),
    st.floats(-1e9, 1e9, allow_nan=False, allow_infinity=False),
    st.fractions(max_denominator=10**6),
)


@given(_RACIONALES, _RACIONALES.filter(lambda x: x != 0))
def test_un_decimal_y_redondear_son_exactos_con_cualquier_racional(
    valor: Any, divisor: Any
) -> None:
    exacto = Fraction(valor) / Fraction(divisor)
    try:
        esperado = _un_decimal_referencia(exacto)
    except OverflowError:  # beyond any float (a tiny float divisor): both refuse alike
        with pytest.raises(OverflowError):
            un_decimal(valor, divisor)
    else:
        assert un_decimal(valor, divisor) == esperado
        assert un_decimal(exacto) == esperado
    for escala in (1, 100, 1000):
        assert redondear(valor, escala) == math.floor(Fraction(valor) * escala + Fraction(1, 2))


def test_dias_medios_de_pago_redondean_la_mitad_hacia_arriba() -> None:
    # 2 invoices paid in 2 and 3 days: 2,5 -> 2,5; 4 invoices 1, 1, 1, 2 days: 1,25 -> 1,3.
    facturas = [
        fac(f"2025/{i:04d}", "2025-11-01", pagada=f"2025-11-0{1 + n}")
        for i, n in enumerate([1, 1, 1, 2])
    ]
    assert salud(facturas).dias_promedio_para_pagar == 1.3  # round() would give 1.2


def test_nunca_dice_hace_cero_dias() -> None:
    resultado = salud([fac("2025/0001", "2025-12-15")])
    assert resultado.motivos_perdida[0].endswith("(1 compra, la última hoy)")
