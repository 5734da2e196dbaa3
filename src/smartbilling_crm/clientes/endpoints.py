"""Clients, the client 360, GDPR export and erasure (contract §2)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Header, Query, Request, Response, status
from sqlalchemy.engine import Dialect

from smartbilling_crm.clientes import csv as csv_clientes
from smartbilling_crm.clientes import service as clientes_service
from smartbilling_crm.clientes.cache import Cuerpo, Marca, etag_coincide
from smartbilling_crm.clientes.repository import FiltroClientes
from smartbilling_crm.clientes.schemas import (
    CLIENTE_EXAMPLE,
    ClienteCreate,
    ClienteList,
    ClienteRead,
    ClienteUpdate,
    ExportacionCliente,
    Orden,
    OrdenarClientesPor,
)
from smartbilling_crm.kit import csv_es
from smartbilling_crm.kit.deps import ApiKeyDep, ContextoDep, EnUnidadDep
from smartbilling_crm.kit.errores import CONFLICT, INVALID, READ, UNAUTHORIZED, WRITE
from smartbilling_crm.kit.schemas import CleanStr, EstadoClienteIn, RiesgoImpagoIn, _accept_ascii

router = APIRouter(prefix="/api/clientes", tags=["Clientes"], dependencies=[ApiKeyDep])

OrdenarPor = Annotated[OrdenarClientesPor, _accept_ascii(OrdenarClientesPor)]
OrdenIn = Annotated[Orden, _accept_ascii(Orden)]  # `DESC` as `desc`, as `ordenar_por`
CABECERA_ETAG = {
    "ETag": {
        "description": "La versión de esta respuesta: mándala en `If-None-Match` para saber "
        "si cambió",
        "schema": {"type": "string"},
    }
}
# The list's and the CSV export's `sector` filter.
SectorFiltro = Annotated[
    CleanStr | None,
    Query(max_length=100, description="Sector exacto, sin distinguir mayúsculas ni tildes"),
]


@router.post(
    "/",
    response_model=ClienteRead,
    status_code=status.HTTP_201_CREATED,
    summary="Crear cliente",
    responses={**UNAUTHORIZED, **CONFLICT, **INVALID},
)
def crear_cliente(
    ctx: ContextoDep,
    cliente: Annotated[ClienteCreate, Body(examples=[CLIENTE_EXAMPLE])],
) -> ClienteRead:
    """Crea un cliente. Un CIF/NIF con dígito de control erróneo se guarda con
    `cif_nif_valido: false`; uno que no tiene forma de NIF/CIF se rechaza (422)."""
    return clientes_service.crear(ctx, cliente)


@router.get(
    "/",
    response_model=ClienteList,
    summary="Listar clientes",
    responses={**UNAUTHORIZED, **INVALID},
)
async def listar_clientes(
    unidad: EnUnidadDep,
    skip: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    estado: EstadoClienteIn | None = None,
    sector: SectorFiltro = None,
    riesgo_impago: RiesgoImpagoIn | None = None,
    q: Annotated[
        CleanStr | None,
        Query(
            max_length=200,
            description="Busca en nombre, email y CIF/NIF (sin tildes ni mayúsculas)",
        ),
    ] = None,
    ordenar_por: OrdenarPor = OrdenarClientesPor.FECHA_ACTUALIZACION,
    orden: OrdenIn = Orden.DESC,
) -> ClienteList:
    """Lista paginada de clientes con filtros, búsqueda y orden."""
    filtro = FiltroClientes(
        skip=skip,
        limit=limit,
        estado=estado,
        sector=sector,
        riesgo_impago=riesgo_impago,
        q=q,
        ordenar_por=ordenar_por.value,
        descendente=orden == Orden.DESC,
    )
    return await unidad(lambda ctx: clientes_service.listar(ctx.session, filtro))


# Declared before "/{cliente_id}", which would otherwise take "exportar.csv" as an id.
@router.get(
    "/exportar.csv",
    response_class=Response,
    summary="Exportar clientes a CSV",
    responses={
        200: {
            "description": "CSV para Excel: UTF-8 con BOM, separador ';', coma decimal",
            "content": {"text/csv": {"schema": {"type": "string"}}},
        },
        **UNAUTHORIZED,
        **INVALID,
    },
)
def exportar_clientes_csv(
    ctx: ContextoDep,
    estado: EstadoClienteIn | None = None,
    sector: SectorFiltro = None,
    riesgo_impago: RiesgoImpagoIn | None = None,
    q: Annotated[
        CleanStr | None,
        Query(max_length=200, description="Busca en nombre, email y CIF/NIF"),
    ] = None,
    ordenar_por: OrdenarPor = OrdenarClientesPor.NOMBRE_EMPRESA,
    orden: OrdenIn = Orden.ASC,
) -> Response:
    """Todos los clientes (o los del filtro, como en la lista) con sus columnas de salud,
    en el orden pedido (por nombre si no se pide otro), en el CSV que abre una hoja de
    cálculo en español; `smartbilling-crm importar-clientes` lo vuelve a leer."""
    filtro = csv_clientes.FiltroExportacion(
        estado=estado,
        sector=sector,
        riesgo_impago=riesgo_impago,
        q=q,
        ordenar_por=ordenar_por.value,
        descendente=orden == Orden.DESC,
    )
    cuerpo = "".join(csv_clientes.exportar(ctx, filtro))
    return Response(
        content=cuerpo.encode("utf-8"),
        media_type=csv_es.MEDIA_TYPE,
        headers={"Content-Disposition": 'attachment; filename="clientes.csv"'},
    )


@router.get(
    "/{cliente_id}",
    response_model=ClienteRead,
    summary="Cliente 360",
    responses={
        **READ,
        200: {"headers": CABECERA_ETAG},
        304: {
            "description": "Sin cambios desde la etiqueta de `If-None-Match` (sin cuerpo)",
            "headers": CABECERA_ETAG,
        },
    },
)
async def obtener_cliente(
    request: Request,
    unidad: EnUnidadDep,
    cliente_id: str,
    if_none_match: Annotated[
        str | None, Header(description="Las etiquetas (`ETag`) de la 360 que ya tienes")
    ] = None,
) -> Response:
    """El cliente con sus contactos, sus 10 actividades más recientes, sus oportunidades
    abiertas y su salud.

    Lleva `ETag`: con `If-None-Match` y esa etiqueta, responde `304` sin cuerpo mientras
    el cliente no haya cambiado."""
    cache = request.app.state.cache_360
    hoy = unidad.now.astimezone(unidad.settings.tz).date()
    visto: list[Marca | None] = [None]  # the stamp the check read, for the build to keep

    def guardada(conexion: Any, dialecto: Dialect) -> Cuerpo | None:
        visto[0], cuerpo = clientes_service.guardada_360(conexion, dialecto, cliente_id, cache, hoy)
        return cuerpo

    cuerpo = await unidad(
        lambda ctx: clientes_service.obtener_360_json(ctx, cliente_id, cache, visto[0]),
        # `CRM_CACHE_360=0`: built as before, no statement more.
        atajo=guardada if cache.capacidad > 0 else None,
    )
    # Personal data: no browser or proxy stores it (`no-store`, as every API answer); a
    # client that keeps the body itself asks again with its tag.
    cabeceras = {"ETag": cuerpo.etag}
    if etag_coincide(if_none_match, cuerpo.etag):
        return Response(status_code=status.HTTP_304_NOT_MODIFIED, headers=cabeceras)
    return Response(cuerpo.contenido, media_type="application/json", headers=cabeceras)


@router.patch(
    "/{cliente_id}",
    response_model=ClienteRead,
    summary="Actualizar cliente",
    responses=WRITE,
)
def actualizar_cliente(ctx: ContextoDep, cliente_id: str, cambios: ClienteUpdate) -> ClienteRead:
    """Actualización parcial de los campos editables."""
    return clientes_service.actualizar(ctx, cliente_id, cambios)


@router.delete(
    "/{cliente_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Borrar cliente (RGPD)",
    responses=READ,
)
def borrar_cliente(request: Request, ctx: ContextoDep, cliente_id: str) -> Response:
    """Derecho de supresión: borra el cliente y todo lo que el CRM guarda de él."""
    clientes_service.borrar(ctx, cliente_id)
    request.app.state.cache_360.olvidar(cliente_id)  # its rendered 360 too
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/{cliente_id}/exportar",
    response_model=ExportacionCliente,
    summary="Exportar datos del cliente (RGPD)",
    responses=READ,
)
def exportar_cliente(ctx: ContextoDep, cliente_id: str) -> ExportacionCliente:
    """Derecho de portabilidad: todos los datos del cliente en un único JSON."""
    return clientes_service.exportar(ctx, cliente_id)
