"""Per-client facts as the batch engines' input, for the tests that pin the batch to the
per-client engines (`salud.motor.libro_lote` reads the database's rows, not these)."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from smartbilling_crm.salud.motor.hechos import FacturaHecho, cobros_de, pendiente_de
from smartbilling_crm.salud.motor.libro_lote import SIN_FECHA, LibroLote, desde_filas


def filas_de_facturas(
    ids: Sequence[str], ledgers: Sequence[Sequence[FacturaHecho]]
) -> list[tuple[Any, ...]]:
    """Per-client `FacturaHecho` lists as the rows of `COLUMNAS`, in whole cents (the
    reference the batch engines are tested against). A pending amount or payments the
    facts leave implicit take the engines' reading of them (`hechos.pendiente_de`,
    `hechos.cobros_de`)."""

    def centimos(importe: Decimal) -> int:
        escalado = importe.scaleb(2)
        if escalado != escalado.to_integral_value():
            raise ValueError(f"{importe} no son céntimos enteros")
        return int(escalado)

    filas: list[tuple[Any, ...]] = []
    for cliente_id, facturas in zip(ids, ledgers, strict=True):
        for f in facturas:
            cabeza = (
                cliente_id,
                f.factura_id,
                f.numero,
                f.fecha_emision.toordinal(),
                f.fecha_vencimiento.toordinal() if f.fecha_vencimiento else SIN_FECHA,
                centimos(f.base_imponible),
                centimos(f.total),
                f.fecha_pago.toordinal() if f.fecha_pago else SIN_FECHA,
                int(f.anulada),
                centimos(f.pendiente if f.pendiente is not None else pendiente_de(f)),
                centimos(f.credito_aplicado),
            )
            cobros = cobros_de(f)
            filas += [(*cabeza, 1, d.toordinal(), centimos(i), 0) for d, i in cobros]
            if not cobros:
                filas.append((*cabeza, 0, SIN_FECHA, 0, 0))
    return filas


def desde_facturas(ids: Sequence[str], ledgers: Sequence[Sequence[FacturaHecho]]) -> LibroLote:
    """The arrays of per-client `FacturaHecho` lists (`filas_de_facturas`), as
    `libro_lote.desde_filas` makes them of the database's rows."""
    return desde_filas(filas_de_facturas(ids, ledgers), ids)
