"""The ficha's two charts, computed on the server as SVG geometry (the template draws it):
invoiced per month over 24 months, and days to pay of each invoice against its terms.

Pure functions: invoices and today in, shapes out. Every chart also carries its data as
rows, which the page offers as a table for screen readers and for reading exact figures.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from smartbilling_crm.facturacion.schemas import FacturaRead
from smartbilling_crm.kit import formato

ANCHO = 720
ALTO = 220
MARGEN_IZQ = 64
MARGEN_INF = 28
MARGEN_SUP = 12
MESES = 24
FACTURAS_COBRO = 24
_NOMBRE_MES = ["ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sep", "oct", "nov", "dic"]


@dataclass(frozen=True)
class Barra:
    x: float
    y: float
    ancho: float
    alto: float
    etiqueta: str  # the axis label (may be empty)
    titulo: str  # the tooltip and the table row
    clase: str = ""
    marca_y: float | None = None  # the due-date tick of the payment chart


@dataclass(frozen=True)
class Linea:
    y: float
    texto: str


@dataclass
class Barras:
    barras: list[Barra] = field(default_factory=list)
    lineas: list[Linea] = field(default_factory=list)
    vacio: bool = True
    ancho: int = ANCHO
    alto: int = ALTO
    base_y: float = ALTO - MARGEN_INF
    izquierda: int = MARGEN_IZQ


@dataclass
class Cobros(Barras):
    tarde: int = 0
    a_tiempo: int = 0
    pendientes: int = 0


def _meses(hoy: date, n: int) -> list[tuple[int, int]]:
    year, month = hoy.year, hoy.month
    out = []
    for _ in range(n):
        out.append((year, month))
        month -= 1
        if month == 0:
            year, month = year - 1, 12
    return list(reversed(out))


def _escala(maximo: float) -> float:
    """A round top for the axis: 1, 2 or 5 times a power of ten, at least `maximo`."""
    if maximo <= 0:
        return 1.0
    potencia = 1.0
    while potencia * 10 <= maximo:
        potencia *= 10
    for factor in (1, 2, 5, 10):
        if factor * potencia >= maximo:
            return factor * potencia
    return 10 * potencia


def _lineas(tope: float, formato_valor: str) -> list[Linea]:
    alto_util = ALTO - MARGEN_INF - MARGEN_SUP
    lineas = []
    for i in range(5):
        valor = tope * i / 4
        y = ALTO - MARGEN_INF - alto_util * i / 4
        texto = (
            formato.euros(Decimal(str(valor)))
            if formato_valor == "euros"
            else f"{valor:g}".replace(".", ",")
        )
        if formato_valor == "euros":
            texto = texto.replace(",00 €", " €")
        lineas.append(Linea(y=round(y, 1), texto=texto))
    return lineas


def facturado_por_mes(facturas: Sequence[FacturaRead], hoy: date) -> Barras:
    """Σ base imponible of uncancelled invoices per month of issue, the last 24 months."""
    meses = _meses(hoy, MESES)
    totales = {m: Decimal(0) for m in meses}
    for f in facturas:
        clave = (f.fecha_emision.year, f.fecha_emision.month)
        if not f.anulada and clave in totales:
            totales[clave] += f.base_imponible
    tope = _escala(float(max(totales.values(), default=Decimal(0))))
    alto_util = ALTO - MARGEN_INF - MARGEN_SUP
    paso = (ANCHO - MARGEN_IZQ - 8) / MESES
    barras = []
    for i, (year, month) in enumerate(meses):
        valor = totales[(year, month)]
        alto = max(float(valor), 0) / tope * alto_util
        nombre = f"{_NOMBRE_MES[month - 1]} {year}"
        barras.append(
            Barra(
                x=round(MARGEN_IZQ + i * paso + paso * 0.15, 1),
                y=round(ALTO - MARGEN_INF - alto, 1),
                ancho=round(paso * 0.7, 1),
                alto=round(alto, 1),
                etiqueta=f"{_NOMBRE_MES[month - 1]} {str(year)[2:]}" if i % 3 == 0 else "",
                titulo=f"{nombre}: {formato.euros(valor)}",
            )
        )
    return Barras(
        barras=barras,
        lineas=_lineas(tope, "euros"),
        vacio=not any(totales.values()),
    )


def dias_de_cobro(facturas: Sequence[FacturaRead], hoy: date) -> Cobros:
    """Days from issue to payment of the last 24 invoices (unpaid: to today), each with a
    tick at its due date. Late ones are marked, unpaid ones are drawn lighter."""
    validas = sorted(
        (f for f in facturas if not f.anulada and f.base_imponible > 0),
        key=lambda f: (f.fecha_emision, f.numero),
    )[-FACTURAS_COBRO:]
    resultado = Cobros(vacio=not validas)
    if not validas:
        return resultado
    filas = []
    for f in validas:
        fin = f.fecha_pago or hoy
        dias = max((fin - f.fecha_emision).days, 0)
        plazo = (f.fecha_vencimiento - f.fecha_emision).days if f.fecha_vencimiento else None
        filas.append((f, dias, plazo))
    tope = _escala(max(max(d, p or 0) for _, d, p in filas))
    alto_util = ALTO - MARGEN_INF - MARGEN_SUP
    paso = (ANCHO - MARGEN_IZQ - 8) / max(len(filas), 12)
    for i, (f, dias, plazo) in enumerate(filas):
        tarde = plazo is not None and dias > plazo
        pendiente = f.pendiente > 0
        clase = ("tarde" if tarde else "a-tiempo") + (" pendiente" if pendiente else "")
        resultado.tarde += tarde
        resultado.a_tiempo += not tarde and not pendiente
        resultado.pendientes += pendiente
        alto = dias / tope * alto_util
        estado = f"pagada el {formato.fecha(f.fecha_pago)}" if f.fecha_pago else "sin pagar"
        plazo_txt = f"plazo {formato.dias(plazo)}" if plazo is not None else "sin vencimiento"
        resultado.barras.append(
            Barra(
                x=round(MARGEN_IZQ + i * paso + paso * 0.15, 1),
                y=round(ALTO - MARGEN_INF - alto, 1),
                ancho=round(paso * 0.7, 1),
                alto=round(alto, 1),
                etiqueta=f.numero[-4:] if i % 4 == 0 else "",
                titulo=(
                    f"Factura {f.numero} ({formato.fecha(f.fecha_emision)}): "
                    f"{formato.dias(dias)}, {plazo_txt}, {estado}"
                ),
                clase=clase,
                marca_y=(
                    round(ALTO - MARGEN_INF - plazo / tope * alto_util, 1)
                    if plazo is not None
                    else None
                ),
            )
        )
    resultado.lineas = _lineas(tope, "dias")
    return resultado
