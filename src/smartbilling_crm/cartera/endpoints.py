"""The portfolio views: alerts across clients, the dashboard and the pipeline."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from smartbilling_crm.cartera import service as cartera_service
from smartbilling_crm.cartera.schemas import AlertaList, Dashboard, Pipeline
from smartbilling_crm.dominio import TipoAlerta
from smartbilling_crm.kit.deps import ApiKeyDep, ContextoDep, EnUnidadDep
from smartbilling_crm.kit.errores import INVALID, UNAUTHORIZED
from smartbilling_crm.kit.schemas import SeveridadIn

router = APIRouter(dependencies=[ApiKeyDep], tags=["Cartera"])

SeveridadFiltro = Annotated[SeveridadIn | None, Query(description="baja | media | alta | critica")]
# A closed vocabulary: a misspelt type (`factura_vencidas`) is a 422 naming the valid
# ones, not an empty list that reads as "no overdue invoices".
TipoFiltro = Annotated[TipoAlerta | None, Query(description="el tipo de alerta")]


@router.get(
    "/api/alertas",
    response_model=AlertaList,
    tags=["Cartera"],
    summary="Alertas de todos los clientes",
    responses={**UNAUTHORIZED, **INVALID},
)
async def listar_alertas(
    unidad: EnUnidadDep,
    severidad: SeveridadFiltro = None,
    tipo: TipoFiltro = None,
    skip: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
) -> AlertaList:
    """Alertas de toda la cartera, las más graves primero (según el último recálculo)."""
    return await unidad(
        lambda ctx: cartera_service.listar_alertas(
            ctx.session, severidad=severidad, tipo=tipo, skip=skip, limit=limit
        )
    )


@router.get(
    "/api/dashboard",
    response_model=Dashboard,
    tags=["Cartera"],
    summary="Cuadro de mando",
    responses={**UNAUTHORIZED, **INVALID},
)
async def obtener_dashboard(unidad: EnUnidadDep) -> Dashboard:
    """La cartera de un vistazo: clientes por estado, LTV, ingresos esperados, pipeline,
    facturas vencidas, clientes en riesgo, facturas esperadas y alertas por gravedad."""
    return await unidad(cartera_service.dashboard)


@router.get(
    "/api/oportunidades/pipeline",
    response_model=Pipeline,
    tags=["Cartera"],
    summary="Pipeline de ventas",
    responses={**UNAUTHORIZED, **INVALID},
)
def obtener_pipeline(ctx: ContextoDep) -> Pipeline:
    """Por etapa: número, importe e importe ponderado; previsión ponderada a 30 y 90 días."""
    return cartera_service.pipeline(ctx)
