"""The sales pipeline: per client, and the seed's won/lost paths."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, TypeVar

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError

from smartbilling_crm.kit.deps import ApiKeyDep, ContextoDep, con_total, por_pagina
from smartbilling_crm.kit.errores import LISTA_CON_TOTAL, READ, WRITE
from smartbilling_crm.kit.excepciones import InvalidInputError
from smartbilling_crm.kit.schemas import CleanStr, EstadoOportunidadIn, MoneyIn
from smartbilling_crm.oportunidades import service as oportunidades_service
from smartbilling_crm.oportunidades.schemas import (
    GanadaIn,
    OportunidadCreate,
    OportunidadRead,
    OportunidadUpdate,
    PerdidaIn,
)

router = APIRouter(tags=["Oportunidades"], dependencies=[ApiKeyDep])
_T = TypeVar("_T")
_M = TypeVar("_M", bound=BaseModel)


def _cuerpo(modelo: type[_M]) -> Callable[[Request], Awaitable[_M | None]]:
    """An optional JSON body read by hand, so the schema keeps publishing the seed's query
    parameter as the one form (a published body would be generated alongside it, and the
    two would mostly disagree); refused with the API's usual 422 when it is not `modelo`."""

    async def leer(request: Request) -> _M | None:
        crudo = await request.body()
        if not crudo.strip():
            return None
        try:
            return modelo.model_validate_json(crudo)
        except ValidationError as exc:
            errores = [{**e, "loc": ("body", *e["loc"])} for e in exc.errors()]
            raise RequestValidationError(errores) from None

    return leer


POR_CLIENTE = "/api/clientes/{cliente_id}/oportunidades"
POR_PAGINA = 50


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
    filas: Annotated[int, Depends(por_pagina(POR_PAGINA))],
    estado: EstadoOportunidadIn | None = None,
    abiertas: Annotated[bool, Query(description="Solo las no ganadas ni perdidas")] = False,
    skip: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> list[OportunidadRead]:
    """Oportunidades del cliente, las más recientes primero; el total, en `X-Total-Count`."""
    pagina = oportunidades_service.listar(
        ctx.session, cliente_id, estado=estado, abiertas=abiertas, skip=skip, limit=filas
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
    # Read first: FastAPI resolves dependencies in order, and the unit of work below
    # takes the write turn; a slow body must not hold it.
    cuerpo: Annotated[GanadaIn | None, Depends(_cuerpo(GanadaIn))],
    ctx: ContextoDep,
    oportunidad_id: str,
    valor_final: Annotated[
        MoneyIn | None,
        Query(description="Valor final del contrato (€); por defecto, el estimado"),
    ] = None,
) -> OportunidadRead:
    """Cierra la oportunidad como ganada: probabilidad 100, fecha de cierre y valor ganado.
    Un prospecto con una oportunidad ganada pasa a cliente activo. `valor_final` va en la
    consulta (como en el diseño original) o en un cuerpo JSON."""
    valor = _de_uno(valor_final, cuerpo.valor_final if cuerpo else None, "valor_final")
    return oportunidades_service.marcar_ganada(ctx, oportunidad_id, valor)


@router.put(
    "/api/clientes/oportunidades/{oportunidad_id}/perdida",
    response_model=OportunidadRead,
    summary="Marcar oportunidad como perdida",
    responses=WRITE,
)
def marcar_oportunidad_perdida(
    # Read first: FastAPI resolves dependencies in order, and the unit of work below
    # takes the write turn; a slow body must not hold it.
    cuerpo: Annotated[PerdidaIn | None, Depends(_cuerpo(PerdidaIn))],
    ctx: ContextoDep,
    oportunidad_id: str,
    motivo: Annotated[
        CleanStr | None, Query(max_length=500, description="Por qué se perdió")
    ] = None,
) -> OportunidadRead:
    """Cierra la oportunidad como perdida, con un motivo opcional, en la consulta (como en
    el diseño original) o en un cuerpo JSON."""
    razon = _de_uno(motivo, cuerpo.motivo if cuerpo else None, "motivo")
    return oportunidades_service.marcar_perdida(ctx, oportunidad_id, razon)


def _de_uno(en_consulta: _T | None, en_cuerpo: _T | None, campo: str) -> _T | None:
    """A value given in the query string (the seed's form, the one the schema publishes)
    or in a JSON body (accepted, not published: once dropped silently, it is read now):
    both, and different, is refused rather than one of them picked."""
    if en_consulta is not None and en_cuerpo is not None and en_consulta != en_cuerpo:
        raise InvalidInputError(
            f"'{campo}' va en la consulta o en el cuerpo, no en los dos con valores distintos",
            field=campo,
        )
    return en_consulta if en_consulta is not None else en_cuerpo
