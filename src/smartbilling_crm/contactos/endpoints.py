"""Contacts of a client."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response, status

from smartbilling_crm.contactos import service as contactos_service
from smartbilling_crm.contactos.schemas import ContactoCreate, ContactoRead, ContactoUpdate
from smartbilling_crm.kit.deps import ApiKeyDep, ContextoDep, con_total, por_pagina
from smartbilling_crm.kit.errores import LISTA_CON_TOTAL, READ, WRITE

POR_PAGINA = 50

router = APIRouter(
    prefix="/api/clientes/{cliente_id}/contactos", tags=["Contactos"], dependencies=[ApiKeyDep]
)


@router.post(
    "", response_model=ContactoRead, status_code=201, summary="Añadir contacto", responses=WRITE
)
def crear_contacto(
    ctx: ContextoDep,
    cliente_id: str,
    contacto: ContactoCreate,
) -> ContactoRead:
    """Añade una persona de contacto. Marcarla como principal desmarca a la anterior."""
    return contactos_service.crear(ctx, cliente_id, contacto)


@router.get(
    "",
    response_model=list[ContactoRead],
    summary="Listar contactos",
    responses={**LISTA_CON_TOTAL, **READ},
)
def listar_contactos(
    ctx: ContextoDep,
    response: Response,
    cliente_id: str,
    filas: Annotated[int, Depends(por_pagina(POR_PAGINA))],
    skip: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> list[ContactoRead]:
    """Contactos del cliente, el principal primero; el total, en `X-Total-Count`."""
    return con_total(response, contactos_service.listar(ctx.session, cliente_id, skip, filas))


@router.get("/{contacto_id}", response_model=ContactoRead, summary="Ver contacto", responses=READ)
def obtener_contacto(ctx: ContextoDep, cliente_id: str, contacto_id: str) -> ContactoRead:
    """Un contacto del cliente."""
    return contactos_service.obtener(ctx.session, cliente_id, contacto_id)


@router.patch(
    "/{contacto_id}", response_model=ContactoRead, summary="Actualizar contacto", responses=WRITE
)
def actualizar_contacto(
    ctx: ContextoDep,
    cliente_id: str,
    contacto_id: str,
    cambios: ContactoUpdate,
) -> ContactoRead:
    """Actualización parcial de un contacto."""
    return contactos_service.actualizar(ctx, cliente_id, contacto_id, cambios)


@router.delete("/{contacto_id}", status_code=204, summary="Borrar contacto", responses=READ)
def borrar_contacto(ctx: ContextoDep, cliente_id: str, contacto_id: str) -> Response:
    """Borra el contacto; sus actividades se conservan sin contacto."""
    contactos_service.borrar(ctx, cliente_id, contacto_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
