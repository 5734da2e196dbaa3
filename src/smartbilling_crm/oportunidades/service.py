"""The sales pipeline: stage-default probabilities, winning and losing."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy.orm import Session

from smartbilling_crm.contactos import service as contactos_service
from smartbilling_crm.dominio import EstadoOportunidad
from smartbilling_crm.kit import repository as base_repo
from smartbilling_crm.kit.contexto import Contexto
from smartbilling_crm.kit.excepciones import ConflictError, NotFoundError
from smartbilling_crm.kit.parches import cambios
from smartbilling_crm.models import Oportunidad
from smartbilling_crm.oportunidades import repository as oportunidades_repo
from smartbilling_crm.oportunidades.schemas import (
    OportunidadCreate,
    OportunidadRead,
    OportunidadUpdate,
)

PROBABILIDAD_POR_ETAPA: dict[str, int] = {
    EstadoOportunidad.IDENTIFICADA: 10,
    EstadoOportunidad.CONTACTADO: 20,
    EstadoOportunidad.PRESUPUESTO: 50,
    EstadoOportunidad.NEGOCIACION: 70,
    EstadoOportunidad.GANADA: 100,
    EstadoOportunidad.PERDIDA: 0,
}
CERRADAS = frozenset({EstadoOportunidad.GANADA, EstadoOportunidad.PERDIDA})


def get_or_404(session: Session, oportunidad_id: str) -> Oportunidad:
    oportunidad = oportunidades_repo.get(session, oportunidad_id)
    if oportunidad is None:
        raise NotFoundError(f"Oportunidad '{oportunidad_id}' no encontrada")
    return oportunidad


def get_of_cliente_or_404(session: Session, cliente_id: str, oportunidad_id: str) -> Oportunidad:
    base_repo.asegurar_cliente(session, cliente_id)
    oportunidad = oportunidades_repo.get_of_cliente(session, cliente_id, oportunidad_id)
    if oportunidad is None:
        raise NotFoundError(
            f"Oportunidad '{oportunidad_id}' no encontrada en el cliente '{cliente_id}'"
        )
    return oportunidad


def _aplicar_etapa(
    ctx: Contexto,
    oportunidad: Oportunidad,
    *,
    valor_ganado: Decimal | None = None,
    motivo: str | None = None,
) -> None:
    """Side effects of entering the current stage: close dates and won value.

    The client's lifecycle follows on the health refresh: a won deal counts as a purchase."""
    if oportunidad.estado == EstadoOportunidad.GANADA:
        oportunidad.probabilidad_cierre = 100
        oportunidad.fecha_cierre_real = ctx.now
        oportunidad.valor_ganado = (
            valor_ganado if valor_ganado is not None else oportunidad.monto_estimado
        )
        oportunidad.motivo_perdida = None
    elif oportunidad.estado == EstadoOportunidad.PERDIDA:
        oportunidad.probabilidad_cierre = 0
        oportunidad.fecha_cierre_real = ctx.now
        oportunidad.valor_ganado = None
        if motivo is not None:
            oportunidad.motivo_perdida = motivo
    else:
        oportunidad.fecha_cierre_real = None
        oportunidad.valor_ganado = None
        oportunidad.motivo_perdida = None


def crear(ctx: Contexto, cliente_id: str, data: OportunidadCreate) -> OportunidadRead:
    base_repo.asegurar_cliente(ctx.session, cliente_id)
    if data.contacto_responsable_id is not None:
        contactos_service.require_of_cliente(
            ctx.session, cliente_id, data.contacto_responsable_id, "contacto_responsable_id"
        )
    fields = data.model_dump()
    if fields["probabilidad_cierre"] is None:
        fields["probabilidad_cierre"] = PROBABILIDAD_POR_ETAPA[data.estado]
    oportunidad = Oportunidad(
        cliente_id=cliente_id, fecha_creacion=ctx.now, fecha_actualizacion=ctx.now, **fields
    )
    if data.estado in CERRADAS:
        _aplicar_etapa(ctx, oportunidad)
    ctx.session.add(oportunidad)
    base_repo.flush(ctx.session)
    ctx.tocar(oportunidad.cliente_id)
    return OportunidadRead.model_validate(oportunidad)


def listar(
    session: Session,
    cliente_id: str,
    *,
    estado: str | None,
    abiertas: bool,
    skip: int,
    limit: int,
) -> tuple[list[OportunidadRead], int]:
    """A page of the client's opportunities and how many match."""
    base_repo.asegurar_cliente(session, cliente_id)
    rows, total = oportunidades_repo.page_of_cliente(
        session, cliente_id, estado=estado, solo_abiertas=abiertas, skip=skip, limit=limit
    )
    return [OportunidadRead.model_validate(o) for o in rows], total


def obtener(session: Session, cliente_id: str, oportunidad_id: str) -> OportunidadRead:
    return OportunidadRead.model_validate(
        get_of_cliente_or_404(session, cliente_id, oportunidad_id)
    )


def actualizar(
    ctx: Contexto,
    cliente_id: str,
    oportunidad_id: str,
    data: OportunidadUpdate,
) -> OportunidadRead:
    oportunidad = get_of_cliente_or_404(ctx.session, cliente_id, oportunidad_id)
    changes = cambios(data, Oportunidad)
    if changes.get("contacto_responsable_id") is not None:
        contactos_service.require_of_cliente(
            ctx.session, cliente_id, changes["contacto_responsable_id"], "contacto_responsable_id"
        )
    etapa_nueva = "estado" in changes and changes["estado"] != oportunidad.estado
    for name, value in changes.items():
        setattr(oportunidad, name, value)
    if etapa_nueva:
        if "probabilidad_cierre" not in changes:
            oportunidad.probabilidad_cierre = PROBABILIDAD_POR_ETAPA[oportunidad.estado]
        _aplicar_etapa(ctx, oportunidad, motivo=changes.get("motivo_perdida"))
    oportunidad.fecha_actualizacion = ctx.now
    base_repo.flush(ctx.session)
    ctx.tocar(oportunidad.cliente_id)
    return OportunidadRead.model_validate(oportunidad)


def _cerrar(
    ctx: Contexto,
    oportunidad_id: str,
    etapa: EstadoOportunidad,
    *,
    valor_ganado: Decimal | None = None,
    motivo: str | None = None,
) -> OportunidadRead:
    oportunidad = get_or_404(ctx.session, oportunidad_id)
    contraria = CERRADAS - {etapa}
    if oportunidad.estado in contraria:
        raise ConflictError(
            f"La oportunidad está cerrada como {oportunidad.estado}; "
            f"reábrela (PATCH estado) antes de marcarla como {etapa}"
        )
    if oportunidad.estado == etapa:
        # A repeated PUT (a retry) keeps the day it was closed; it may correct the
        # won value or add the reason.
        if valor_ganado is not None:
            oportunidad.valor_ganado = valor_ganado
        if motivo is not None:
            oportunidad.motivo_perdida = motivo
    else:
        oportunidad.estado = etapa
        _aplicar_etapa(ctx, oportunidad, valor_ganado=valor_ganado, motivo=motivo)
    oportunidad.fecha_actualizacion = ctx.now
    base_repo.flush(ctx.session)
    ctx.tocar(oportunidad.cliente_id)
    return OportunidadRead.model_validate(oportunidad)


def marcar_ganada(
    ctx: Contexto,
    oportunidad_id: str,
    valor_final: Decimal | None,
) -> OportunidadRead:
    """Close as won: probability 100, close date now, won value; a prospect becomes active
    (through the health refresh, which counts a won deal as a purchase)."""
    return _cerrar(ctx, oportunidad_id, EstadoOportunidad.GANADA, valor_ganado=valor_final)


def marcar_perdida(ctx: Contexto, oportunidad_id: str, motivo: str | None) -> OportunidadRead:
    """Close as lost, with an optional reason."""
    return _cerrar(ctx, oportunidad_id, EstadoOportunidad.PERDIDA, motivo=motivo)


def de_cliente(session: Session, cliente_id: str) -> list[OportunidadRead]:
    """Every opportunity of the client (GDPR export)."""
    rows = oportunidades_repo.list_of_cliente(session, cliente_id)
    return [OportunidadRead.model_validate(o) for o in rows]


def abiertas(session: Session, cliente_id: str) -> list[OportunidadRead]:
    """The client's open opportunities, newest first (the client 360)."""
    return [
        OportunidadRead.model_validate(o)
        for o in oportunidades_repo.abiertas_de_cliente(session, cliente_id)
    ]


PIPELINE_MAX = 500


def abiertas_de_cartera(
    session: Session, limit: int = PIPELINE_MAX
) -> list[tuple[OportunidadRead, str]]:
    """The open pipeline across clients (the panel's board): each with its client's name."""
    return [
        (OportunidadRead.model_validate(o), nombre)
        for o, nombre in oportunidades_repo.abiertas_de_cartera(session, limit)
    ]
