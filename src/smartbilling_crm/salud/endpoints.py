"""Health and recommendations of one client, the daily recompute and the portfolio views."""

from __future__ import annotations

from fastapi import APIRouter

from smartbilling_crm.kit.deps import ApiKeyDep, ContextoDep
from smartbilling_crm.kit.errores import READ, UNAUTHORIZED
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
    responses=UNAUTHORIZED,
)
def recalcular_salud(ctx: ContextoDep) -> ResultadoRecalculoRead:
    """Recalcula a fecha de hoy la salud, el estado (dormidos, VIP) y las alertas de todos los
    clientes, para la lista y las vistas de cartera. Pensado para un cron diario."""
    resultado = recalculo.recalcular_todos(ctx.session, ctx.settings, ctx.now)
    return ResultadoRecalculoRead(
        clientes=resultado.clientes, fecha_calculo=resultado.fecha_calculo
    )
