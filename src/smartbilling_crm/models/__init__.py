"""SQLAlchemy tables, one module per table."""

from typing import Any

from smartbilling_crm.models.actividad import Actividad
from smartbilling_crm.models.alerta import AlertaCliente
from smartbilling_crm.models.base import Base
from smartbilling_crm.models.cliente import (
    INDICES_SOLO_POSTGRESQL,
    TABLA_BUSQUEDA_SQLITE,
    TABLAS_SOLO_SQLITE,
    Cliente,
)
from smartbilling_crm.models.contacto import Contacto
from smartbilling_crm.models.contador import (
    FECHA_SIN_VENCIMIENTO,
    CarteraPorFecha,
    ContadorCartera,
    ContadorPendiente,
)
from smartbilling_crm.models.factura import Cobro, Factura, WebhookEvento
from smartbilling_crm.models.oportunidad import Oportunidad
from smartbilling_crm.models.progreso import ProgresoRecalculo
from smartbilling_crm.models.resumen import ResumenCartera
from smartbilling_crm.models.salud import SaludCliente
from smartbilling_crm.models.usuario import AlertaPospuesta, Usuario

__all__ = [
    "FECHA_SIN_VENCIMIENTO",
    "INDICES_SOLO_POSTGRESQL",
    "TABLAS_SOLO_SQLITE",
    "TABLA_BUSQUEDA_SQLITE",
    "Actividad",
    "AlertaCliente",
    "AlertaPospuesta",
    "Base",
    "CarteraPorFecha",
    "Cliente",
    "Cobro",
    "Contacto",
    "ContadorCartera",
    "ContadorPendiente",
    "Factura",
    "Oportunidad",
    "ProgresoRecalculo",
    "ResumenCartera",
    "SaludCliente",
    "Usuario",
    "WebhookEvento",
    "declarado_en_los_modelos",
]


def declarado_en_los_modelos(
    obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
) -> bool:
    """Alembic's `include_object`: leave out what the migrations create on one database
    only, so autogenerate neither drops it nor reports it as a difference."""
    if type_ == "table" and name in TABLAS_SOLO_SQLITE:
        return False
    return not (type_ == "index" and name in INDICES_SOLO_POSTGRESQL)
