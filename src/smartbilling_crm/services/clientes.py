"""Clients: creation and edition rules, the client 360, the list, GDPR export and erasure."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from ..config import Settings
from ..errors import ConflictError, InvalidInputError, NotFoundError
from ..models import Cliente, SaludCliente
from ..repositories import actividades as actividades_repo
from ..repositories import base as base_repo
from ..repositories import clientes as clientes_repo
from ..repositories import contactos as contactos_repo
from ..repositories import facturas as facturas_repo
from ..repositories import oportunidades as oportunidades_repo
from ..schemas.actividades import ActividadRead
from ..schemas.cartera import AlertaRead, OportunidadSugeridaRead, RecomendacionesRead
from ..schemas.clientes import ClienteCreate, ClienteList, ClienteRead, ClienteSimple, ClienteUpdate
from ..schemas.common import EstadoCliente, RiesgoImpago, SaludGeneral
from ..schemas.contactos import ContactoRead
from ..schemas.facturas import FacturaRead
from ..schemas.oportunidades import OportunidadRead
from ..schemas.salud import SaludRead
from ..validators import BUSQUEDA_MAX, clave_sector, fold, tax_id_is_valid
from . import salud_db
from .parches import cambios

ACTIVIDADES_RECIENTES = 10


def get_or_404(session: Session, cliente_id: str) -> Cliente:
    cliente = base_repo.get(session, Cliente, cliente_id)
    if cliente is None:
        raise NotFoundError(f"Cliente '{cliente_id}' no encontrado")
    return cliente


def ensure_exists(session: Session, cliente_id: str) -> None:
    if not clientes_repo.exists(session, cliente_id):
        raise NotFoundError(f"Cliente '{cliente_id}' no encontrado")


def _search_text(cliente: Cliente) -> str:
    texto = " ".join(
        fold(part)
        for part in (cliente.nombre_empresa, cliente.email, cliente.cif_nif or "")
        if part
    )
    return texto[:BUSQUEDA_MAX]


def _sector_plegado(cliente: Cliente) -> str | None:
    return clave_sector(cliente.sector_industria) if cliente.sector_industria else None


def _check_unique(
    session: Session, cliente_id: str | None, email: str | None, cif_nif: str | None
) -> None:
    if email is not None:
        other = clientes_repo.get_by_email(session, email)
        if other is not None and other.id != cliente_id:
            raise ConflictError(
                f"Ya existe un cliente con el email '{email}'",
                errors=[{"campo": "email", "mensaje": "email duplicado", "tipo": "duplicado"}],
            )
    if cif_nif is not None:
        other = clientes_repo.get_by_cif_nif(session, cif_nif)
        if other is not None and other.id != cliente_id:
            raise ConflictError(
                f"Ya existe un cliente con el CIF/NIF '{cif_nif}'",
                errors=[{"campo": "cif_nif", "mensaje": "CIF/NIF duplicado", "tipo": "duplicado"}],
            )


def crear(session: Session, data: ClienteCreate, settings: Settings, now: datetime) -> ClienteRead:
    """Create a client, with its health row and alerts."""
    if data.id is not None and base_repo.get(session, Cliente, data.id) is not None:
        raise ConflictError(
            f"Ya existe un cliente con id '{data.id}'",
            errors=[{"campo": "id", "mensaje": "id duplicado", "tipo": "duplicado"}],
        )
    _check_unique(session, None, data.email, data.cif_nif)
    fields = data.model_dump(exclude_unset=True, exclude={"id"})
    cliente = Cliente(**fields)
    if data.id is not None:
        cliente.id = data.id
    cliente.fecha_primer_contacto = data.fecha_primer_contacto or now
    cliente.fecha_creacion = now
    cliente.fecha_actualizacion = now
    cliente.cif_nif_valido = tax_id_is_valid(data.cif_nif) if data.cif_nif else None
    cliente.busqueda = _search_text(cliente)
    cliente.sector_plegado = _sector_plegado(cliente)
    session.add(cliente)
    base_repo.flush(session)
    salud_db.refrescar(session, cliente, settings, now)
    return obtener_360(session, cliente.id, settings, now)


def actualizar(
    session: Session, cliente_id: str, data: ClienteUpdate, settings: Settings, now: datetime
) -> ClienteRead:
    """Apply a partial update; `estado` only accepts `cliente_perdido` (set by hand)."""
    cliente = get_or_404(session, cliente_id)
    changes = cambios(data, Cliente)
    if "estado" in changes and changes["estado"] != EstadoCliente.CLIENTE_PERDIDO:
        raise InvalidInputError(
            "El estado lo calcula el sistema; a mano solo puede marcarse 'cliente_perdido' "
            "(una factura nueva lo reactiva)",
            field="estado",
        )
    _check_unique(session, cliente_id, changes.get("email"), changes.get("cif_nif"))
    for name, value in changes.items():
        setattr(cliente, name, value)
    if "cif_nif" in changes:
        cliente.cif_nif_valido = tax_id_is_valid(cliente.cif_nif) if cliente.cif_nif else None
    cliente.busqueda = _search_text(cliente)
    cliente.sector_plegado = _sector_plegado(cliente)
    cliente.fecha_actualizacion = now
    base_repo.flush(session)
    salud_db.refrescar(session, cliente, settings, now)
    return obtener_360(session, cliente_id, settings, now)


def _salud_read(cliente_id: str, evaluacion: salud_db.Evaluacion, now: datetime) -> SaludRead:
    salud = evaluacion.salud
    values = {name: getattr(salud, name) for name in SaludRead.model_fields if hasattr(salud, name)}
    return SaludRead.model_validate(
        {
            **values,
            "cliente_id": cliente_id,
            "fecha_calculo": evaluacion.hoy,
            "fecha_actualizacion": now,
        }
    )


def obtener_360(
    session: Session, cliente_id: str, settings: Settings, now: datetime
) -> ClienteRead:
    """The client 360 as of today, in a fixed number of queries whatever its size."""
    cliente = get_or_404(session, cliente_id)
    hechos = salud_db.cargar_hechos(session, [cliente_id], now)[cliente_id]
    evaluacion = salud_db.evaluar(cliente, hechos, salud_db.umbral_vigente(session), settings, now)
    actividades = actividades_repo.list_of_cliente(session, cliente_id, limit=ACTIVIDADES_RECIENTES)
    return ClienteRead.model_validate(cliente).model_copy(
        update={
            "estado": EstadoCliente(evaluacion.estado),
            "riesgo_impago": RiesgoImpago(evaluacion.salud.riesgo_impago_nivel),
            "contactos": [ContactoRead.model_validate(c) for c in hechos.contactos],
            "actividades_recientes": [ActividadRead.model_validate(a) for a in actividades],
            "oportunidades_abiertas": [OportunidadRead.model_validate(o) for o in hechos.abiertas],
            "salud": _salud_read(cliente_id, evaluacion, now),
        }
    )


def salud(session: Session, cliente_id: str, settings: Settings, now: datetime) -> SaludRead:
    """The client's health metrics as of today."""
    cliente = get_or_404(session, cliente_id)
    return _salud_read(cliente_id, salud_db.evaluar_cliente(session, cliente, settings, now), now)


def recomendaciones(
    session: Session, cliente_id: str, settings: Settings, now: datetime
) -> RecomendacionesRead:
    """What to do with the client today: alerts, opportunities and concrete actions."""
    cliente = get_or_404(session, cliente_id)
    resultado = salud_db.evaluar_cliente(session, cliente, settings, now).recomendaciones
    return RecomendacionesRead(
        cliente_id=cliente_id,
        fecha_generacion=now,
        alertas=[
            AlertaRead(tipo=a.tipo, severidad=str(a.severidad), mensaje=a.mensaje)
            for a in resultado.alertas
        ],
        oportunidades=[
            OportunidadSugeridaRead(tipo=o.tipo, mensaje=o.mensaje) for o in resultado.oportunidades
        ],
        acciones_sugeridas=list(resultado.acciones_sugeridas),
    )


def listar(session: Session, filtro: clientes_repo.FiltroClientes) -> ClienteList:
    """A page of clients with the health columns the list shows."""
    rows, total = clientes_repo.list_page(session, filtro)
    clientes = [
        ClienteSimple.model_validate(cliente).model_copy(update=_health_columns(salud))
        for cliente, salud in rows
    ]
    return ClienteList(total=total, skip=filtro.skip, limit=filtro.limit, clientes=clientes)


def _health_columns(salud: SaludCliente | None) -> dict[str, Any]:
    if salud is None:
        return {}
    return {
        "dias_sin_actividad": salud.dias_sin_actividad,
        "riesgo_perdida_score": salud.riesgo_perdida_score,
        "salud_general": SaludGeneral(salud.salud_general),
    }


def borrar(session: Session, cliente_id: str) -> None:
    """GDPR erasure: the client and everything about it (contacts, timeline, pipeline, ledger)."""
    ensure_exists(session, cliente_id)
    clientes_repo.delete_cliente(session, cliente_id)


def exportar(
    session: Session, cliente_id: str, settings: Settings, now: datetime
) -> dict[str, Any]:
    """GDPR portability: every stored fact about the client as one JSON-ready document."""
    cliente = get_or_404(session, cliente_id)
    return {
        "fecha_exportacion": now,
        "cliente": ClienteRead.model_validate(cliente).model_dump(
            mode="json",
            by_alias=True,
            exclude={"contactos", "actividades_recientes", "oportunidades_abiertas", "salud"},
        ),
        "contactos": [
            ContactoRead.model_validate(c).model_dump(mode="json", by_alias=True)
            for c in contactos_repo.list_of_cliente(session, cliente_id)
        ],
        "actividades": [
            ActividadRead.model_validate(a).model_dump(mode="json", by_alias=True)
            for a in actividades_repo.list_of_cliente(session, cliente_id, limit=None)
        ],
        "oportunidades": [
            OportunidadRead.model_validate(o).model_dump(mode="json", by_alias=True)
            for o in oportunidades_repo.list_of_cliente(session, cliente_id)
        ],
        "facturas": [
            FacturaRead.model_validate(f).model_dump(mode="json", by_alias=True)
            for f in facturas_repo.list_of_cliente(session, cliente_id)
        ],
        "salud": salud(session, cliente_id, settings, now).model_dump(mode="json", by_alias=True),
    }
