"""Lifecycle state and VIP threshold (contract §4) at fixed dates."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from smartbilling_crm.salud.motor.metricas import calcular_estado, es_top_ltv, umbral_vip

HOY = date(2025, 12, 15)
DIAS_DORMIDO = 60


def d(iso: str) -> date:
    return date.fromisoformat(iso)


@pytest.mark.parametrize(
    ("estado_actual", "ultima_compra", "en_top_ltv", "compra_nueva", "esperado"),
    [
        pytest.param("prospecto", None, False, False, "prospecto", id="sin compras: prospecto"),
        pytest.param(
            "prospecto", "2025-12-15", False, True, "cliente_activo", id="primera compra: activo"
        ),
        pytest.param(
            "prospecto", "2025-12-15", True, True, "vip", id="primera compra y top LTV: vip"
        ),
        pytest.param(
            "cliente_activo",
            "2025-10-16",
            False,
            False,
            "cliente_activo",
            id="hace 60 días: activo",
        ),
        pytest.param(
            "cliente_activo",
            "2025-10-15",
            False,
            False,
            "cliente_dormido",
            id="hace 61 días: dormido",
        ),
        pytest.param("cliente_activo", "2025-11-01", True, False, "vip", id="entra en el top: vip"),
        pytest.param(
            "vip", "2025-11-01", False, False, "cliente_activo", id="sale del top: activo"
        ),
        pytest.param(
            "vip", "2025-10-15", True, False, "cliente_dormido", id="vip sin comprar: dormido"
        ),
        pytest.param(
            "cliente_dormido",
            "2025-12-15",
            False,
            True,
            "cliente_activo",
            id="dormido que compra: activo",
        ),
        pytest.param(
            "cliente_dormido", "2025-12-15", True, True, "vip", id="dormido top que compra: vip"
        ),
        pytest.param(
            "cliente_perdido",
            "2025-12-01",
            True,
            False,
            "cliente_perdido",
            id="perdido se queda perdido sin compra nueva",
        ),
        pytest.param(
            "cliente_perdido",
            "2024-01-01",
            False,
            False,
            "cliente_perdido",
            id="perdido y dormido sigue perdido",
        ),
        pytest.param(
            "cliente_perdido",
            "2025-12-15",
            False,
            True,
            "cliente_activo",
            id="perdido que compra: activo",
        ),
        pytest.param(
            "cliente_perdido",
            "2025-01-01",
            False,
            True,
            "cliente_perdido",
            id="perdido con una factura antigua (importada): sigue perdido",
        ),
        pytest.param(
            "cliente_perdido",
            "2025-10-16",
            False,
            True,
            "cliente_activo",
            id="perdido que compra hace 60 días: activo",
        ),
        pytest.param(
            "cliente_activo",
            None,
            False,
            False,
            "prospecto",
            id="sus compras se anularon: prospecto",
        ),
    ],
)
def test_transiciones_del_ciclo_de_vida(
    estado_actual: str,
    ultima_compra: str | None,
    en_top_ltv: bool,
    compra_nueva: bool,
    esperado: str,
) -> None:
    estado = calcular_estado(
        estado_actual=estado_actual,
        ultima_compra=d(ultima_compra) if ultima_compra else None,
        hoy=HOY,
        dias_dormido=DIAS_DORMIDO,
        en_top_ltv=en_top_ltv,
        compra_nueva=compra_nueva,
    )
    assert estado == esperado


@pytest.mark.parametrize(
    ("ultima_compra", "esperado"),
    [("2025-11-15", "cliente_activo"), ("2025-11-14", "cliente_dormido")],
)
def test_dias_dormido_es_configurable(ultima_compra: str, esperado: str) -> None:
    estado = calcular_estado(
        estado_actual="cliente_activo",
        ultima_compra=d(ultima_compra),
        hoy=HOY,
        dias_dormido=30,
        en_top_ltv=False,
    )
    assert estado == esperado


def ltvs(*values: int) -> list[Decimal]:
    return [Decimal(v) for v in values]


@pytest.mark.parametrize(
    ("ltvs_compradores", "umbral"),
    [
        pytest.param([], None, id="nadie ha comprado"),
        pytest.param(ltvs(0, 0, -50), None, id="solo LTV cero o negativo: nadie"),
        pytest.param(ltvs(1200), Decimal(1200), id="1 comprador: él es VIP"),
        pytest.param(
            ltvs(100, 200, 300, 400, 500, 600, 700, 800, 900),
            Decimal(900),
            id="9 compradores: solo el primero (10 % redondeado hacia abajo, mínimo 1)",
        ),
        pytest.param(
            ltvs(100, 200, 300, 400, 500, 600, 700, 800, 900, 1000),
            Decimal(1000),
            id="10 compradores: el primero",
        ),
        pytest.param(
            ltvs(*range(100, 2600, 100)),
            Decimal(2400),
            id="25 compradores: los 2 primeros",
        ),
        pytest.param(
            ltvs(*range(100, 2600, 100), 0, 0, 0, 0, 0),
            Decimal(2400),
            id="los que no han comprado no cuentan",
        ),
        pytest.param(
            ltvs(5000, 5000, 5000, 100, 100, 100, 100, 100, 100, 100, 100),
            Decimal(5000),
            id="empate en el umbral",
        ),
    ],
)
def test_umbral_vip(ltvs_compradores: list[Decimal], umbral: Decimal | None) -> None:
    assert umbral_vip(ltvs_compradores) == umbral


def test_empates_en_el_umbral_son_todos_vip() -> None:
    todos = ltvs(5000, 5000, 5000, *([100] * 20))
    umbral = umbral_vip(todos)
    assert sum(es_top_ltv(v, umbral) for v in todos) == 3


@pytest.mark.parametrize(
    ("ltv", "umbral", "esperado"),
    [
        (Decimal(2400), Decimal(2400), True),
        (Decimal("2399.99"), Decimal(2400), False),
        (Decimal(9999), None, False),
        (Decimal(0), Decimal(0), False),
    ],
)
def test_es_top_ltv(ltv: Decimal, umbral: Decimal | None, esperado: bool) -> None:
    assert es_top_ltv(ltv, umbral) is esperado
