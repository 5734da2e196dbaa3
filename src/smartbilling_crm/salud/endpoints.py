"""Health and recommendations of one client, the daily recompute and the portfolio views."""

from __future__ import annotations

from fastapi import APIRouter, Request

from smartbilling_crm.kit.deps import ApiKeyDep, ContextoDep, NowDep, SettingsDep
from smartbilling_crm.kit.errores import INVALID, READ, UNAUTHORIZED, problem
from smartbilling_crm.salud import recalculo
from smartbilling_crm.salud import service as salud_service
from smartbilling_crm.salud.schemas import RecomendacionesRead, ResultadoRecalculoRead, SaludRead

router = APIRouter(dependencies=[ApiKeyDep])


@router.get(
    "/api/clientes/{cliente_id}/salud",
    response_model=SaludRead,
    tags=["Salud"],
    summary="Salud del cliente",
    responses=READ,
)
def obtener_salud(ctx: ContextoDep, cliente_id: str) -> SaludRead:
    """Métricas de salud calculadas a fecha de hoy, con `salud_general` y los `motivos`."""
    return salud_service.salud(ctx, cliente_id)


@router.get(
    "/api/clientes/{cliente_id}/recomendaciones",
    response_model=RecomendacionesRead,
    tags=["Salud"],
    summary="Recomendaciones",
    responses=READ,
)
def obtener_recomendaciones(ctx: ContextoDep, cliente_id: str) -> RecomendacionesRead:
    """Qué hacer hoy con el cliente: alertas, oportunidades y acciones concretas
    (factura, importe, contacto y oportunidad con nombre), de más a menos grave."""
    return salud_service.recomendaciones(ctx, cliente_id)


@router.post(
    "/api/salud/recalcular",
    response_model=ResultadoRecalculoRead,
    tags=["Salud"],
    summary="Recalcular la salud de todos los clientes",
    responses={**UNAUTHORIZED, **INVALID, 409: problem(409, "Ya hay un recálculo en curso")},
)
def recalcular_salud(
    request: Request, settings: SettingsDep, now: NowDep
) -> ResultadoRecalculoRead:
    """Recalcula a fecha de hoy la salud, el estado (dormidos, VIP) y las alertas de todos los
    clientes, para la lista y las vistas de cartera. Pensado para un cron diario.

    Por lotes que se confirman uno a uno (la API y los webhooks siguen atendiendo); si otro
    recálculo está en curso responde 409. Un recálculo de hoy interrumpido se reanuda tras
    el último lote confirmado."""
    resultado = recalculo.recalcular_todos(request.app.state.session_factory, settings, now)
    return ResultadoRecalculoRead(
        clientes=resultado.clientes, fecha_calculo=resultado.fecha_calculo
    )
