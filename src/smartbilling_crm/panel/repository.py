"""SQL of the panel's own data: the alerts put off until a date."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from smartbilling_crm.models import AlertaPospuesta


def pospuestas_vigentes(session: Session, hoy: date) -> set[tuple[str, str, str]]:
    """(cliente_id, tipo, clave) of every alert put off until today or later."""
    rows = session.execute(
        select(AlertaPospuesta.cliente_id, AlertaPospuesta.tipo, AlertaPospuesta.clave).where(
            AlertaPospuesta.hasta >= hoy
        )
    ).all()
    return {(cliente_id, tipo, clave) for cliente_id, tipo, clave in rows}


def posponer(session: Session, cliente_id: str, tipo: str, clave: str, hasta: date) -> None:
    fila = session.get(AlertaPospuesta, (cliente_id, tipo, clave))
    if fila is None:
        session.add(AlertaPospuesta(cliente_id=cliente_id, tipo=tipo, clave=clave, hasta=hasta))
    else:
        fila.hasta = max(fila.hasta, hasta)
    session.flush()
