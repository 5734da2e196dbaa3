"""The Spanish formats every message uses: money with a thousands dot and a decimal comma,
rounded half up to the cent; dates as day/month/year; counts agreeing with their noun."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from smartbilling_crm.kit.formato import cantidad, dias, euros, fecha


@pytest.mark.parametrize(
    ("importe", "texto"),
    [
        (0, "0,00 €"),
        (2500, "2.500,00 €"),
        (-120.5, "-120,50 €"),
        (Decimal("1234567.891"), "1.234.567,89 €"),
        (Decimal("999.995"), "1.000,00 €"),  # half up, into a new thousand
        (Decimal("0.005"), "0,01 €"),
        (Decimal("-0.004"), "0,00 €"),  # rounds to zero: no minus sign
        (Decimal("-1000000.005"), "-1.000.000,01 €"),
        (Decimal("1E+6"), "1.000.000,00 €"),
        (10**15, "1.000.000.000.000.000,00 €"),
        # Floats by their shortest text, as written: 2.675 is 2.67499… in binary.
        (2.675, "2,68 €"),
        (1.005, "1,01 €"),
    ],
)
def test_euros(importe: Decimal | int | float, texto: str) -> None:
    assert euros(importe) == texto


@pytest.mark.parametrize(
    ("dia", "texto"),
    [
        (date(2025, 12, 1), "01/12/2025"),
        (date(1000, 1, 9), "09/01/1000"),
        (date(9999, 12, 31), "31/12/9999"),
        (date(999, 12, 31), "31/12/999"),  # the C library's own rendering (glibc)
    ],
)
def test_fecha(dia: date, texto: str) -> None:
    assert fecha(dia) == texto


def test_a_count_takes_the_singular_for_one_only() -> None:
    assert cantidad(1, "cliente", "clientes") == "1 cliente"
    assert cantidad(0, "cliente", "clientes") == "0 clientes"
    assert cantidad(2, "cliente", "clientes") == "2 clientes"
    assert (dias(1), dias(-1), dias(30)) == ("1 día", "-1 día", "30 días")
