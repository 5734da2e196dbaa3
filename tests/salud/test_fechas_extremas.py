"""The pure engines never overflow on a date (issue 15.11): an invoice in year ~6000 made
every later event of its client a 500. Checked with the extremes of `date` itself, wider
than what the API accepts."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from smartbilling_crm.salud.motor.hechos import FacturaHecho, OportunidadHecho
from smartbilling_crm.salud.reglas import generar

from .test_recomendaciones_reglas import MADRID, contexto

FECHAS = st.dates(min_value=date(1, 1, 2), max_value=date.max)


def _factura(n: int, emision: date, vence: date | None, pago: date | None) -> FacturaHecho:
    return FacturaHecho(
        factura_id=f"f{n}",
        numero=f"2025/{n}",
        fecha_emision=emision,
        fecha_vencimiento=vence,
        base_imponible=Decimal("1000.00"),
        total=Decimal("1210.00"),
        fecha_pago=pago,
        anulada=False,
    )


def _evaluar(facturas: list[FacturaHecho], hoy: date, cierre: date | None = None) -> None:
    oportunidades = [OportunidadHecho("o1", "Renovación", "presupuesto", Decimal(5000), 50, cierre)]
    ctx = contexto(
        facturas=facturas,
        actividades=[datetime.combine(min(hoy, date(9999, 12, 30)), datetime.min.time(), MADRID)],
        oportunidades=oportunidades,
        hoy=hoy,
    )
    generar(ctx)


def test_invoices_at_the_edges_of_the_calendar() -> None:
    for hoy in (date(2000, 1, 1), date(2026, 12, 1), date(9999, 12, 1), date.max):
        extremas = [
            _factura(1, date(1, 1, 2), date(1, 1, 2), None),
            _factura(2, date(6000, 1, 1), date.max, None),
            _factura(3, date(9999, 12, 30), date.max, date.max),
            _factura(4, date.max, None, date(1, 1, 2)),
        ]
        _evaluar(extremas, hoy, cierre=date.max)
        _evaluar(extremas[1:3], hoy, cierre=date(1, 1, 2))
        # The cadence of a client that bought in year 1 and in 9999 (a 3.6-million-day gap).
        _evaluar([extremas[0], extremas[3]], hoy)


@settings(max_examples=200, deadline=None)
@given(
    emisiones=st.lists(FECHAS, min_size=1, max_size=4),
    plazo=st.integers(min_value=0, max_value=400),
    pagos=st.lists(st.none() | FECHAS, min_size=4, max_size=4),
    hoy=st.dates(min_value=date(2000, 1, 1), max_value=date.max),
    cierre=st.none() | FECHAS,
)
def test_any_dates_evaluate_without_overflow(
    emisiones: list[date], plazo: int, pagos: list[date | None], hoy: date, cierre: date | None
) -> None:
    facturas = [
        _factura(n, e, e + timedelta(days=plazo) if e <= date.max - timedelta(400) else None, p)
        for n, (e, p) in enumerate(zip(emisiones, pagos, strict=False))
    ]
    _evaluar(facturas, hoy, cierre)
