"""SQL of the panel's own data: the alerts put off until a date."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from smartbilling_crm.models import AlertaPospuesta


def pospuestas_vigentes(session: Session, hoy: date) -> dict[tuple[str, str, str], int | None]:
    """(cliente_id, tipo, clave) of every alert put off until today or later: the rank of
    its severity when it was put off."""
    rows = session.execute(
        select(
            AlertaPospuesta.cliente_id,
            AlertaPospuesta.tipo,
            AlertaPospuesta.clave,
            AlertaPospuesta.rango,
        ).where(AlertaPospuesta.hasta >= hoy)
    ).all()
    return {(cliente_id, tipo, clave): rango for cliente_id, tipo, clave, rango in rows}


def posponer(
    session: Session, cliente_id: str, tipo: str, clave: str, hasta: date, rango: int | None
) -> None:
    fila = session.get(AlertaPospuesta, (cliente_id, tipo, clave))
    if fila is None:
        fila = AlertaPospuesta(cliente_id=cliente_id, tipo=tipo, clave=clave, hasta=hasta)
        session.add(fila)
    else:
        # The latest choice wins: an alert put off for 30 days that came back more urgent
        # and is put off for 1 day shows again tomorrow, not when the first snooze ends.
        fila.hasta = hasta
    fila.rango = rango  # the severity it was put off at, the latest time
    session.flush()
