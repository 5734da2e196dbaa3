"""Spanish number and date formats for messages: "2.500,00 €", "12/12/2025"."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

_CENTIMO = Decimal("0.01")
_SEPARADORES = str.maketrans(",.", ".,")


def euros(amount: Decimal | int | float) -> str:
    """Spanish money format: 2500 -> '2.500,00 €', -120.5 -> '-120,50 €'."""
    exacto = amount if isinstance(amount, Decimal) else Decimal(str(amount))
    value = exacto.quantize(_CENTIMO, rounding=ROUND_HALF_UP)
    sign = "-" if value < 0 else ""
    # Python's thousands grouping, its separators swapped: "2,500.00" -> "2.500,00".
    return f"{sign}{abs(value):,.2f} €".translate(_SEPARADORES)


def decimal1(value: float) -> str:
    """Spanish decimal of a figure already rounded to one place: 66.7 -> '66,7', 25.0 -> '25'."""
    texto = f"{value:.1f}".replace(".", ",")
    return texto[:-2] if texto.endswith(",0") else texto


def fecha(day: date) -> str:
    """Spanish date format: date(2025, 12, 1) -> '01/12/2025'."""
    if day.year >= 1000:  # formatted by hand: a third of strftime's cost, the same text
        return f"{day.day:02d}/{day.month:02d}/{day.year}"
    return day.strftime("%d/%m/%Y")  # the platform's own rendering of years before 1000


def cantidad(n: int, singular: str, plural: str) -> str:
    """A count with its noun agreeing: (1, 'cliente', 'clientes') -> '1 cliente',
    (0, ...) -> '0 clientes' (Spanish uses the singular for one only)."""
    return f"{n} {singular if abs(n) == 1 else plural}"


def dias(n: int) -> str:
    """'1 día', '12 días'."""
    return cantidad(n, "día", "días")


def hace(n: int) -> str:
    """'hoy', 'hace 1 día', 'hace 12 días' (never "hace 0 días")."""
    return "hoy" if n == 0 else f"hace {dias(n)}"
