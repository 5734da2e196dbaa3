"""The portfolio pages: Hoy (`/`), the client list (`/clientes`) and the pipeline."""

from __future__ import annotations

import dataclasses
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from smartbilling_crm.clientes import csv as csv_clientes
from smartbilling_crm.clientes import service as clientes_service
from smartbilling_crm.clientes.schemas import ClienteCreate, OrdenarClientesPor
from smartbilling_crm.dominio import EstadoCliente, EstadoOportunidad, RiesgoImpago
from smartbilling_crm.kit import csv_es, formato
from smartbilling_crm.kit.deps import ContextoDep
from smartbilling_crm.kit.validators import fold
from smartbilling_crm.oportunidades import service as oportunidades_service
from smartbilling_crm.oportunidades.schemas import OportunidadUpdate
from smartbilling_crm.panel import service as panel_service
from smartbilling_crm.panel.web import (
    ErroresFormulario,
    FormDep,
    NoEncontrado,
    RutaPanel,
    UsuarioDep,
    a_modelo,
    avisar,
    ejecutar,
    entero,
    no_encontrado,
    render,
)
from smartbilling_crm.usuarios.service import UsuarioVista

router = APIRouter(include_in_schema=False, route_class=RutaPanel)

POR_PAGINA = 25
CAMPOS_CLIENTE = (
    "id",
    "nombre_empresa",
    "email",
    "telefono",
    "cif_nif",
    "sector_industria",
    "tamaño_empresa",
    "ciudad",
    "direccion",
)
ORDENES = {
    "fecha_actualizacion": "Última modificación",
    "nombre_empresa": "Nombre",
    "ltv": "LTV",
    "fecha_última_compra": "Última compra",
    "riesgo_perdida_score": "Riesgo de pérdida",
    "dias_sin_actividad": "Días sin actividad",
}

# The sorts whose figure is none of the table's columns: the list shows it in one more, so
# the owner sees what the order follows.
COLUMNA_DEL_ORDEN = frozenset(
    {"fecha_actualizacion", "fecha_última_compra", "riesgo_perdida_score"}
)


@router.get("/", response_class=HTMLResponse)
def hoy(request: Request, ctx: ContextoDep, usuario: UsuarioDep) -> HTMLResponse:
    datos = panel_service.hoy(ctx)
    return render(
        request,
        "hoy.html",
        {"hoy": datos, "dias_posponer": panel_service.DIAS_POSPONER},
        usuario=usuario,
    )


def _no_encontrado_en_hoy(request: Request, usuario: UsuarioVista, mensaje: str) -> Response:
    return no_encontrado(
        request,
        usuario,
        f"{mensaje}. Puede que se haya borrado: vuelve a Hoy y recarga la página.",
        ("/", "Volver a Hoy"),
    )


@router.post("/hoy/hecho", response_model=None)
def hecho(request: Request, ctx: ContextoDep, usuario: UsuarioDep, datos: FormDep) -> Response:
    try:
        hecha = ejecutar(
            ctx,
            panel_service.hecho,
            ctx,
            datos.get("cliente_id", ""),
            datos.get("tipo", ""),
            datos.get("mensaje", ""),
            datos.get("severidad", ""),
            datos.get("referencia_id", ""),
        )
        if hecha is None:
            aviso = "Hecho: la alerta descansa una semana (no es un contacto con el cliente)."
        elif hecha.titulo and not hecha.titulo.startswith("Hecho: "):
            aviso = f"Tarea «{hecha.titulo}» completada."
        else:
            aviso = "Anotado en el historial del cliente."
        avisar(request, aviso)
    except NoEncontrado as exc:
        return _no_encontrado_en_hoy(request, usuario, exc.resumen)
    except ErroresFormulario as exc:
        avisar(request, exc.resumen)
    return RedirectResponse("/", status_code=303)


@router.post("/hoy/posponer", response_model=None)
def posponer(request: Request, ctx: ContextoDep, usuario: UsuarioDep, datos: FormDep) -> Response:
    dias = entero(datos.get("dias"), 0, 0, 10_000)
    try:
        vuelve = ejecutar(
            ctx,
            panel_service.posponer,
            ctx,
            datos.get("cliente_id", ""),
            datos.get("tipo", ""),
            dias,
            datos.get("mensaje", ""),
            datos.get("severidad", ""),
            datos.get("referencia_id", ""),
        )
        avisar(request, f"Pospuesta {formato.dias(dias)}: vuelve a Hoy el {formato.fecha(vuelve)}.")
    except NoEncontrado as exc:
        return _no_encontrado_en_hoy(request, usuario, exc.resumen)
    except ErroresFormulario as exc:
        avisar(request, exc.resumen)
    return RedirectResponse("/", status_code=303)


def _valor(enum_cls: type[EstadoCliente] | type[RiesgoImpago], texto: str | None) -> str | None:
    if not texto:
        return None
    por_plegado = {fold(m.value): m.value for m in enum_cls}
    return por_plegado.get(fold(texto[:40]))


def _filtro(
    q: str | None, estado: str | None, riesgo: str | None, sector: str | None
) -> dict[str, str | None]:
    return {
        "q": (q or "").strip()[:200] or None,
        "estado": _valor(EstadoCliente, estado),
        "riesgo_impago": _valor(RiesgoImpago, riesgo),
        "sector": (sector or "").strip()[:100] or None,
    }


def _orden(
    ordenar_por: str | None,
    orden: str | None,
    por_defecto: str = "fecha_actualizacion",
    sentido: str = "desc",
) -> tuple[str, bool]:
    """The list's sort from a link, and whether descending (anything else: the defaults)."""
    ordenar = ordenar_por if ordenar_por in ORDENES else por_defecto
    sentido = orden if orden in ("asc", "desc") else sentido
    return OrdenarClientesPor(ordenar).value, sentido == "desc"


def _lista(
    request: Request,
    ctx: ContextoDep,
    usuario: UsuarioDep,
    params: dict[str, str | None],
    *,
    errores: dict[str, str] | None = None,
    valores: dict[str, str] | None = None,
    resumen: str | None = None,
) -> HTMLResponse:
    filtro_ = _filtro(
        params.get("q"), params.get("estado"), params.get("riesgo_impago"), params.get("sector")
    )
    ordenar, descendente = _orden(params.get("ordenar_por"), params.get("orden"))
    orden = "desc" if descendente else "asc"
    pagina = entero(params.get("pagina"), 1, 1, 10_000)
    filtro = clientes_service.FiltroClientes(
        skip=(pagina - 1) * POR_PAGINA,
        limit=POR_PAGINA,
        ordenar_por=ordenar,
        descendente=descendente,
        **filtro_,
    )
    lista = clientes_service.listar(ctx.session, filtro)
    paginas = max(1, -(-lista.total // POR_PAGINA))
    if pagina > paginas:  # an old link past the end: its last page, not an empty one
        pagina = paginas
        filtro = dataclasses.replace(filtro, skip=(pagina - 1) * POR_PAGINA)
        lista = clientes_service.listar(ctx.session, filtro)
    consulta = {k: v for k, v in filtro_.items() if v}
    return render(
        request,
        "clientes.html",
        {
            "lista": lista,
            "filtro": filtro_,
            "consulta": consulta,
            "ordenar_por": ordenar,
            "orden": orden,
            "ordenes": ORDENES,
            "columna_del_orden": ORDENES[ordenar] if ordenar in COLUMNA_DEL_ORDEN else None,
            "pagina": pagina,
            "paginas": paginas,
            "estados": list(EstadoCliente),
            "riesgos": list(RiesgoImpago),
            "errores": errores or {},
            "valores": valores or {},
            "resumen": resumen,
        },
        status_code=422 if errores is not None else 200,
        usuario=usuario,
    )


@router.get("/clientes", response_class=HTMLResponse)
def clientes(
    request: Request,
    ctx: ContextoDep,
    usuario: UsuarioDep,
    q: Annotated[str | None, Query()] = None,
    estado: Annotated[str | None, Query()] = None,
    riesgo_impago: Annotated[str | None, Query()] = None,
    sector: Annotated[str | None, Query()] = None,
    ordenar_por: Annotated[str | None, Query()] = None,
    orden: Annotated[str | None, Query()] = None,
    pagina: Annotated[str | None, Query()] = None,
) -> HTMLResponse:
    params = {
        "q": q,
        "estado": estado,
        "riesgo_impago": riesgo_impago,
        "sector": sector,
        "ordenar_por": ordenar_por,
        "orden": orden,
        "pagina": pagina,
    }
    return _lista(request, ctx, usuario, params)


@router.get("/clientes/exportar.csv", response_model=None)
def exportar(
    ctx: ContextoDep,
    _u: UsuarioDep,
    q: Annotated[str | None, Query()] = None,
    estado: Annotated[str | None, Query()] = None,
    riesgo_impago: Annotated[str | None, Query()] = None,
    sector: Annotated[str | None, Query()] = None,
    ordenar_por: Annotated[str | None, Query()] = None,
    orden: Annotated[str | None, Query()] = None,
) -> Response:
    """The list's CSV (the API's own export), with the page's filters and order (by name
    when the link gives none, as before the order was passed on)."""
    ordenar, descendente = _orden(ordenar_por, orden, "nombre_empresa", "asc")
    filtro = csv_clientes.FiltroExportacion(
        **_filtro(q, estado, riesgo_impago, sector),
        ordenar_por=ordenar,
        descendente=descendente,
    )
    cuerpo = "".join(csv_clientes.exportar(ctx, filtro))
    return Response(
        content=cuerpo.encode("utf-8"),
        media_type=csv_es.MEDIA_TYPE,
        headers={"Content-Disposition": 'attachment; filename="clientes.csv"'},
    )


@router.post("/clientes", response_model=None)
def crear_cliente(
    request: Request, ctx: ContextoDep, usuario: UsuarioDep, datos: FormDep
) -> Response:
    try:
        nuevo = a_modelo(ClienteCreate, datos, CAMPOS_CLIENTE)
        cliente = ejecutar(ctx, clientes_service.registrar, ctx, nuevo)
    except ErroresFormulario as exc:
        return _lista(
            request, ctx, usuario, {}, errores=exc.errores, valores=datos, resumen=exc.resumen
        )
    avisar(request, f"Cliente {cliente.nombre_empresa} creado.")
    return RedirectResponse(f"/clientes/{cliente.id}", status_code=303)


@router.get("/pipeline", response_class=HTMLResponse)
def pipeline(request: Request, ctx: ContextoDep, usuario: UsuarioDep) -> HTMLResponse:
    vista = panel_service.pipeline(ctx)
    abiertas = [e for e in EstadoOportunidad if e.value not in ("ganada", "perdida")]
    return render(
        request,
        "pipeline.html",
        {"vista": vista, "etapas_abiertas": abiertas, "etapas": list(EstadoOportunidad)},
        usuario=usuario,
    )


@router.post("/pipeline/mover", response_model=None)
def mover(request: Request, ctx: ContextoDep, usuario: UsuarioDep, datos: FormDep) -> Response:
    if not datos.get("estado", "").strip():
        # Nothing to move it to: saying "now in <its stage>" would claim a change.
        avisar(request, "No se ha movido: elige la etapa a la que moverla.")
        return RedirectResponse("/pipeline", status_code=303)
    try:
        cambio = a_modelo(OportunidadUpdate, datos, ("estado",))
        oportunidad = ejecutar(
            ctx,
            oportunidades_service.actualizar,
            ctx,
            datos.get("cliente_id", ""),
            datos.get("oportunidad_id", ""),
            cambio,
        )
        avisar(
            request, f"{oportunidad.nombre_proyecto}: ahora en {oportunidad.estado.capitalize()}."
        )
    except NoEncontrado as exc:
        return no_encontrado(
            request,
            usuario,
            f"{exc.resumen}. Puede que se haya cerrado o borrado: vuelve al pipeline y "
            "recarga la página.",
            ("/pipeline", "Volver al pipeline"),
        )
    except ErroresFormulario as exc:
        # The pipeline marks no field: the message says which and why, in one sentence.
        motivos = "; ".join(exc.errores.values())
        avisar(request, f"No se ha movido: {motivos or exc.resumen}.")
    return RedirectResponse("/pipeline", status_code=303)
