"""SQLAlchemy tables, one module per table."""

from .actividad import Actividad
from .alerta import AlertaCliente
from .base import Base
from .cliente import Cliente
from .contacto import Contacto
from .factura import Factura, WebhookEvento
from .oportunidad import Oportunidad
from .resumen import ResumenCartera
from .salud import SaludCliente

__all__ = [
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
]
