"""The sales pipeline: per client, and the seed's won/lost paths."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from smartbilling_crm.kit.deps import ApiKeyDep, ContextoDep, con_total
from smartbilling_crm.kit.errores import LISTA_CON_TOTAL, READ, WRITE
from smartbilling_crm.kit.schemas import CleanStr, EstadoOportunidadIn, MoneyIn
from smartbilling_crm.oportunidades import service as oportunidades_service
from smartbilling_crm.oportunidades.schemas import (
    OportunidadCreate,
    OportunidadRead,
    OportunidadUpdate,
)

router = APIRouter(tags=["Oportunidades"], dependencies=[ApiKeyDep])
POR_CLIENTE = "/api/clientes/{cliente_id}/oportunidades"


@router.post(
    POR_CLIENTE,
    response_model=OportunidadRead,
    status_code=201,
    summary="Crear oportunidad",
    responses=WRITE,
)
def crear_oportunidad(
    ctx: ContextoDep,
    cliente_id: str,
    oportunidad: OportunidadCreate,
) -> OportunidadRead:
    """Crea una oportunidad. Sin `probabilidad_cierre`, toma la de la etapa
    (identificada 10, contactado 20, presupuesto 50, negociación 70)."""
    return oportunidades_service.crear(ctx, cliente_id, oportunidad)


@router.get(
    POR_CLIENTE,
    response_model=list[OportunidadRead],
    summary="Listar oportunidades",
    responses={**LISTA_CON_TOTAL, **READ},
)
def listar_oportunidades(
    ctx: ContextoDep,
    response: Response,
    cliente_id: str,
    estado: EstadoOportunidadIn | None = None,
    abiertas: Annotated[bool, Query(description="Solo las no ganadas ni perdidas")] = False,
    skip: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
) -> list[OportunidadRead]:
    """Oportunidades del cliente, las más recientes primero; el total, en `X-Total-Count`."""
    pagina = oportunidades_service.listar(
        ctx.session, cliente_id, estado=estado, abiertas=abiertas, skip=skip, limit=limit
    )
    return con_total(response, pagina)


@router.get(
    POR_CLIENTE + "/{oportunidad_id}",
    response_model=OportunidadRead,
    summary="Ver oportunidad",
    responses=READ,
)
def obtener_oportunidad(ctx: ContextoDep, cliente_id: str, oportunidad_id: str) -> OportunidadRead:
    """Una oportunidad del cliente."""
    return oportunidades_service.obtener(ctx.session, cliente_id, oportunidad_id)


@router.patch(
    POR_CLIENTE + "/{oportunidad_id}",
    response_model=OportunidadRead,
    summary="Actualizar oportunidad",
    responses=WRITE,
)
def actualizar_oportunidad(
    ctx: ContextoDep,
    cliente_id: str,
    oportunidad_id: str,
    cambios: OportunidadUpdate,
) -> OportunidadRead:
    """Actualización parcial; cambiar de etapa sin probabilidad aplica la de la etapa."""
    return oportunidades_service.actualizar(ctx, cliente_id, oportunidad_id, cambios)


@router.put(
    "/api/clientes/oportunidades/{oportunidad_id}/ganada",
    response_model=OportunidadRead,
    summary="Marcar oportunidad como ganada",
    responses=WRITE,
)
def marcar_oportunidad_ganada(
    ctx: ContextoDep,
    oportunidad_id: str,
    valor_final: Annotated[
        MoneyIn | None,
        Query(description="Valor final del contrato (€); por defecto, el estimado"),
    ] = None,
) -> OportunidadRead:
    """Cierra la oportunidad como ganada: probabilidad 100, fecha de cierre y valor ganado.
    Un prospecto con una oportunidad ganada pasa a cliente activo."""
    return oportunidades_service.marcar_ganada(ctx, oportunidad_id, valor_final)


@router.put(
    "/api/clientes/oportunidades/{oportunidad_id}/perdida",
    response_model=OportunidadRead,
    summary="Marcar oportunidad como perdida",
    responses=WRITE,
)
def marcar_oportunidad_perdida(
    ctx: ContextoDep,
    oportunidad_id: str,
    motivo: Annotated[
        CleanStr | None, Query(max_length=500, description="Por qué se perdió")
    ] = None,
) -> OportunidadRead:
    """Cierra la oportunidad como perdida, con un motivo opcional."""
    return oportunidades_service.marcar_perdida(ctx, oportunidad_id, motivo)
