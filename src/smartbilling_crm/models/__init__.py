"""SQLAlchemy tables, one module per table."""

from typing import Any

from .actividad import Actividad
from .alerta import AlertaCliente
from .base import Base
from .cliente import INDICES_SOLO_POSTGRESQL, Cliente
from .contacto import Contacto
from .factura import Factura, WebhookEvento
from .oportunidad import Oportunidad
from .resumen import ResumenCartera
from .salud import SaludCliente

__all__ = [
    "INDICES_SOLO_POSTGRESQL",
    "Actividad",
    "AlertaCliente",
    "Base",
    "Cliente",
    "Contacto",
    "Factura",
    "Oportunidad",
    "ResumenCartera",
    "SaludCliente",
    "WebhookEvento",
    "declarado_en_los_modelos",
]


def declarado_en_los_modelos(
    obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
) -> bool:
    """Alembic's `include_object`: leave out what the migrations create on PostgreSQL
    only, so autogenerate neither drops it nor reports it as a difference."""
    return not (type_ == "index" and name in INDICES_SOLO_POSTGRESQL)
