"""The shared vocabulary of the domain: closed sets of values and their order.

Used alike by the pure engines, the services, the wire schemas and the SQL (stored
values are these enums' values). No Pydantic, no SQLAlchemy: a leaf module.
"""

from __future__ import annotations

from enum import StrEnum


class EstadoCliente(StrEnum):
    PROSPECTO = "prospecto"
    CLIENTE_ACTIVO = "cliente_activo"
    CLIENTE_DORMIDO = "cliente_dormido"
    CLIENTE_PERDIDO = "cliente_perdido"
    VIP = "vip"


class RiesgoImpago(StrEnum):
    BAJO = "bajo"
    MEDIO = "medio"
    ALTO = "alto"
    CRITICO = "critico"


class TamanoEmpresa(StrEnum):
    AUTONOMO = "autónomo"
    PEQUENA = "pequeña"
    MEDIANA = "mediana"
    GRANDE = "grande"


class TipoActividad(StrEnum):
    LLAMADA = "llamada"
    EMAIL = "email"
    REUNION = "reunión"
    VIDEOLLAMADA = "videollamada"
    TAREA = "tarea"
    NOTA = "nota"
    FACTURA = "factura"
    PAGO = "pago"
    PROPUESTA = "propuesta"


class EstadoOportunidad(StrEnum):
    IDENTIFICADA = "identificada"
    CONTACTADO = "contactado"
    PRESUPUESTO = "presupuesto"
    NEGOCIACION = "negociación"
    GANADA = "ganada"
    PERDIDA = "perdida"


class SaludGeneral(StrEnum):
    EXCELENTE = "excelente"
    BUENA = "buena"
    EN_RIESGO = "en_riesgo"
    CRITICA = "critica"


class Severidad(StrEnum):
    """How urgent an alert or a suggested action is; `rango` orders them (0 = most urgent)."""

    BAJA = "baja"
    MEDIA = "media"
    ALTA = "alta"
    CRITICA = "critica"

    @property
    def rango(self) -> int:
        return _RANGO_SEVERIDAD[self]

    @classmethod
    def por_gravedad(cls) -> tuple[Severidad, ...]:
        """Every severity, most urgent first."""
        return tuple(sorted(cls, key=lambda s: s.rango))


_RANGO_SEVERIDAD = {
    Severidad.CRITICA: 0,
    Severidad.ALTA: 1,
    Severidad.MEDIA: 2,
    Severidad.BAJA: 3,
}


class TipoAlerta(StrEnum):
    """What an alert is about (the rules of `salud.reglas` raise these)."""

    FACTURA_VENCIDA = "factura_vencida"
    RIESGO_PAGO = "riesgo_pago"
    TENDENCIA_PAGO = "tendencia_pago"
    CIF_NIF_INVALIDO = "cif_nif_invalido"
    COMPRA_ATRASADA = "compra_atrasada"
    PROXIMA_FACTURA = "proxima_factura"
    VIP_DORMIDO = "vip_dormido"
    CLIENTE_DORMIDO = "cliente_dormido"
    OPORTUNIDAD_ESTANCADA = "oportunidad_estancada"
    TAREA_VENCIDA = "tarea_vencida"
    SIN_CONTACTO_PRINCIPAL = "sin_contacto_principal"
    SIN_CONTACTO_FINANCIERO = "sin_contacto_financiero"
    RIESGO_PERDIDA = "riesgo_perdida"
    INACTIVIDAD = "inactividad"


# The alert types whose `referencia_id` names what they are about (the others have none):
# the invoice's `factura_id`, the task's activity id, the deal's id.
TIPOS_CON_REFERENCIA = frozenset(
    {TipoAlerta.FACTURA_VENCIDA, TipoAlerta.TAREA_VENCIDA, TipoAlerta.OPORTUNIDAD_ESTANCADA}
)
DESCRIPCION_REFERENCIA = (
    "De qué trata la alerta: el factura_id de la factura (factura_vencida), el id de la "
    "tarea en el timeline (tarea_vencida) o el id de la oportunidad (oportunidad_estancada); "
    "null en los demás tipos. No cambia de un día a otro, aunque cambie el texto."
)


class TipoOportunidadSugerida(StrEnum):
    VIP = "vip"
    ENGAGEMENT = "engagement"
