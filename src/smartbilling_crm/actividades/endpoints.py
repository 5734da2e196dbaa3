"""The activity timeline of a client."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response, status

from smartbilling_crm.actividades import service as actividades_service
from smartbilling_crm.actividades.schemas import ActividadCreate, ActividadRead, ActividadUpdate
from smartbilling_crm.kit.deps import ApiKeyDep, ContextoDep, con_total, por_pagina
from smartbilling_crm.kit.errores import LISTA_CON_TOTAL, READ, WRITE
from smartbilling_crm.kit.schemas import TipoActividadIn

POR_PAGINA = 20

router = APIRouter(
    prefix="/api/clientes/{cliente_id}/actividades", tags=["Actividades"], dependencies=[ApiKeyDep]
)


@router.post(
    "",
    response_model=ActividadRead,
    status_code=201,
    summary="Registrar actividad",
    responses=WRITE,
)
def crear_actividad(
    ctx: ContextoDep,
    cliente_id: str,
    actividad: ActividadCreate,
) -> ActividadRead:
    """Registra una llamada, email, reunión, tarea... Las de tipo `factura` y `pago` solo
    las escribe el webhook de facturación (422)."""
    return actividades_service.crear(ctx, cliente_id, actividad)


@router.get(
    "",
    response_model=list[ActividadRead],
    summary="Historial",
    responses={**LISTA_CON_TOTAL, **READ},
)
def listar_actividades(
    ctx: ContextoDep,
    response: Response,
    cliente_id: str,
    filas: Annotated[int, Depends(por_pagina(POR_PAGINA))],
    skip: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    tipo: TipoActividadIn | None = None,
    pendientes: Annotated[bool, Query(description="Solo tareas sin completar")] = False,
) -> list[ActividadRead]:
    """El historial del cliente, lo más reciente primero; el total, en `X-Total-Count`."""
    pagina = actividades_service.listar(
        ctx.session,
        cliente_id,
        skip=skip,
        limit=filas,
        tipo=tipo,
        pendientes=pendientes,
    )
    return con_total(response, pagina)


@router.get(
    "/{actividad_id}", response_model=ActividadRead, summary="Ver actividad", responses=READ
)
def obtener_actividad(ctx: ContextoDep, cliente_id: str, actividad_id: str) -> ActividadRead:
    """Una actividad del cliente."""
    return actividades_service.obtener(ctx.session, cliente_id, actividad_id)


@router.patch(
    "/{actividad_id}", response_model=ActividadRead, summary="Actualizar actividad", responses=WRITE
)
def actualizar_actividad(
    ctx: ContextoDep,
    cliente_id: str,
    actividad_id: str,
    cambios: ActividadUpdate,
) -> ActividadRead:
    """Actualización parcial, p. ej. `{"completada": true}` para cerrar una tarea."""
    return actividades_service.actualizar(ctx, cliente_id, actividad_id, cambios)


@router.delete("/{actividad_id}", status_code=204, summary="Borrar actividad", responses=WRITE)
def borrar_actividad(ctx: ContextoDep, cliente_id: str, actividad_id: str) -> Response:
    """Borra una actividad (las de factura y pago no se pueden borrar)."""
    actividades_service.borrar(ctx, cliente_id, actividad_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
