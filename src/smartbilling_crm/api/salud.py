"""Health and recommendations of one client, the daily recompute and the portfolio views."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from ..deps import ApiKeyDep, NowDep, SessionDep, SettingsDep
from ..schemas.cartera import (
    AlertaList,
    Dashboard,
    Pipeline,
    RecomendacionesRead,
    ResultadoRecalculoRead,
)
from ..schemas.salud import SaludRead
from ..services import cartera as cartera_service
from ..services import clientes as clientes_service
from ..services import salud_db
from .responses import INVALID, READ, UNAUTHORIZED

router = APIRouter(dependencies=[ApiKeyDep])

Severidad = Annotated[
    str | None,
    Query(pattern="^(baja|media|alta|critica)$", description="baja | media | alta | critica"),
]


@router.get(
    "/api/clientes/{cliente_id}/salud",
    response_model=SaludRead,
    tags=["Salud"],
    summary="Salud del cliente",
    responses=READ,
)
def salud_cliente(
    session: SessionDep, settings: SettingsDep, now: NowDep, cliente_id: str
) -> SaludRead:
    """Métricas de salud calculadas a fecha de hoy, con `salud_general` y los `motivos`."""
    return clientes_service.salud(session, cliente_id, settings, now)


@router.get(
    "/api/clientes/{cliente_id}/recomendaciones",
    response_model=RecomendacionesRead,
    tags=["Salud"],
    summary="Recomendaciones",
    responses=READ,
)
def recomendaciones_cliente(
    session: SessionDep, settings: SettingsDep, now: NowDep, cliente_id: str
) -> RecomendacionesRead:
    """Qué hacer hoy con el cliente: alertas, oportunidades y acciones concretas
    (factura, importe, contacto y oportunidad con nombre), de más a menos grave."""
    return clientes_service.recomendaciones(session, cliente_id, settings, now)


@router.post(
    "/api/salud/recalcular",
    response_model=ResultadoRecalculoRead,
    tags=["Salud"],
    summary="Recalcular la salud de todos los clientes",
    responses=UNAUTHORIZED,
)
def recalcular(session: SessionDep, settings: SettingsDep, now: NowDep) -> ResultadoRecalculoRead:
    """Recalcula a fecha de hoy la salud, el estado (dormidos, VIP) y las alertas de todos los
    clientes, para la lista y las vistas de cartera. Pensado para un cron diario."""
    resultado = salud_db.recalcular_todos(session, settings, now)
    return ResultadoRecalculoRead(
        clientes=resultado.clientes, fecha_calculo=resultado.fecha_calculo
    )


@router.get(
    "/api/alertas",
    response_model=AlertaList,
    tags=["Cartera"],
    summary="Alertas de todos los clientes",
    responses={**UNAUTHORIZED, **INVALID},
)
def alertas(
    session: SessionDep,
    severidad: Severidad = None,
    tipo: Annotated[str | None, Query(max_length=40, pattern="^[a-z_]+$")] = None,
    skip: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
) -> AlertaList:
    """Alertas de toda la cartera, las más graves primero (según el último recálculo)."""
    return cartera_service.listar_alertas(
        session, severidad=severidad, tipo=tipo, skip=skip, limit=limit
    )


@router.get(
    "/api/dashboard",
    response_model=Dashboard,
    tags=["Cartera"],
    summary="Cuadro de mando",
    responses=UNAUTHORIZED,
)
def dashboard(session: SessionDep, settings: SettingsDep, now: NowDep) -> Dashboard:
    """La cartera de un vistazo: clientes por estado, LTV, ingresos esperados, pipeline,
    facturas vencidas, clientes en riesgo, facturas esperadas y alertas por gravedad."""
    return cartera_service.dashboard(session, settings, now)


@router.get(
    "/api/oportunidades/pipeline",
    response_model=Pipeline,
    tags=["Cartera"],
    summary="Pipeline de ventas",
    responses=UNAUTHORIZED,
)
def pipeline(session: SessionDep, settings: SettingsDep, now: NowDep) -> Pipeline:
    """Por etapa: número, importe e importe ponderado; previsión ponderada a 30 y 90 días."""
    return cartera_service.pipeline(session, settings, now)
