"""What the reads of a client's health show: its stored row, never the engines.

The row (metrics, `motivos`, recommendations) and the alerts are written by the
touched-client effect of every write (`service.refrescar_tocados`) and by the daily
`recalcular`, so a warm read is a fixed, small number of statements however long the
client's history. Time moves health without any event (contract §4): a row from an earlier
day (or missing, or written before the recommendations were stored) is stale, and the first
read of that client recomputes it once, through the same effect, and stores it; the reads
after it, the same day, are warm again.

A read-only request (GET) writes that in a short transaction of its own
(`Contexto.aparte`), with the client locked, so two first reads racing recompute once and
neither fails. A request that may write refreshes in its own transaction.

Portfolio views (the panel's Hoy, `/api/alertas`, the dashboard) read the stored rows as
they are: they are as fresh as the daily recompute and every write since.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from smartbilling_crm.dominio import Severidad
from smartbilling_crm.kit import repository as base_repo
from smartbilling_crm.kit.contexto import Contexto
from smartbilling_crm.kit.excepciones import NotFoundError
from smartbilling_crm.models import Cliente, SaludCliente
from smartbilling_crm.salud import repository as salud_repo
from smartbilling_crm.salud.schemas import (
    AlertaRead,
    OportunidadSugeridaRead,
    RecomendacionesRead,
    SaludRead,
)

_COLUMNAS = frozenset(SaludCliente.__table__.columns.keys())
_CAMPOS_SALUD = [name for name in SaludRead.model_fields if name in _COLUMNAS]


def caducada(fila: SaludCliente | None, hoy: date) -> bool:
    """Whether a stored row cannot be shown as of `hoy`: missing, from another day, or
    without the recommendations (rows written before they were stored)."""
    return fila is None or fila.fecha_calculo != hoy or fila.recomendaciones is None


def _no_encontrado(cliente_id: str) -> NotFoundError:
    return NotFoundError(f"Cliente '{cliente_id}' no encontrado")


def _refrescar_si_caducada(escritura: Contexto, cliente_id: str) -> None:
    """In a unit that may write (the read's own, or one apart from a read-only one): lock
    the client, look again (another request may have refreshed it while this one waited)
    and, if still stale, mark it touched: the unit's effect recomputes and stores it before
    the commit."""
    cliente = salud_repo.bloquear_cliente(escritura.session, cliente_id)
    if cliente is None:  # erased meanwhile: the read below answers 404
        return
    # Read again, not from the session: in a writable unit that read it before the lock,
    # the session still holds what it saw then.
    if caducada(salud_repo.cliente_y_salud(escritura.session, cliente_id)[1], escritura.hoy):
        escritura.tocar(cliente_id, fila=cliente)


def vigente(ctx: Contexto, cliente_id: str) -> tuple[Cliente, SaludCliente]:
    """The client and its health row as of today (404 if there is no such client).

    Warm: one statement. Stale: the client is recomputed once and read again."""
    if not base_repo.storable(cliente_id):
        raise _no_encontrado(cliente_id)
    if ctx.tocado(cliente_id):
        ctx.confirmar()  # this unit of work's own changes first
    cliente, fila = salud_repo.cliente_y_salud(ctx.session, cliente_id)
    if cliente is None:
        raise _no_encontrado(cliente_id)
    if fila is not None and not caducada(fila, ctx.hoy):
        return cliente, fila
    if ctx.read_only:
        with ctx.aparte() as escritura:
            _refrescar_si_caducada(escritura, cliente_id)
    else:
        _refrescar_si_caducada(ctx, cliente_id)
        ctx.confirmar()
    cliente, fila = salud_repo.cliente_y_salud(ctx.session, cliente_id)
    if cliente is None or fila is None:
        raise _no_encontrado(cliente_id)
    return cliente, fila


def salud_de(fila: SaludCliente) -> SaludRead:
    """The wire form of a stored health row."""
    return SaludRead.model_validate({name: getattr(fila, name) for name in _CAMPOS_SALUD})


def salud(ctx: Contexto, cliente_id: str) -> SaludRead:
    """The client's health metrics as of today."""
    return salud_de(vigente(ctx, cliente_id)[1])


def recomendaciones(ctx: Contexto, cliente_id: str) -> RecomendacionesRead:
    """What to do with the client today: its stored alerts, opportunities and actions."""
    fila = vigente(ctx, cliente_id)[1]
    datos = fila.recomendaciones or {}
    return RecomendacionesRead(
        cliente_id=cliente_id,
        fecha_generacion=fila.fecha_actualizacion,
        alertas=[
            AlertaRead(
                tipo=a.tipo,
                severidad=Severidad(a.severidad),
                mensaje=a.mensaje,
                referencia_id=a.referencia_id,
            )
            for a in salud_repo.alertas(ctx.session, cliente_id)
        ],
        oportunidades=[
            OportunidadSugeridaRead.model_validate(o) for o in datos.get("oportunidades", [])
        ],
        acciones_sugeridas=list(datos.get("acciones_sugeridas", [])),
    )


def acciones_sugeridas(ctx: Contexto, ids: Sequence[str]) -> dict[str, list[str]]:
    """The stored suggested actions of several clients (the panel's Hoy, beside the stored
    alerts they go with), most urgent first, in one statement however many clients."""
    if not ids:
        return {}
    guardadas = salud_repo.recomendaciones(ctx.session, list(ids))
    return {
        cliente_id: list(guardadas.get(cliente_id, {}).get("acciones_sugeridas", []))
        for cliente_id in ids
    }
