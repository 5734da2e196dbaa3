"""Recommendation rules (contract §5): alerts, sales opportunities and concrete next steps.

Each rule is a small pure function of a `ContextoCliente` (plain values, "today" included)
returning its findings; `generar` runs them all, removes duplicates and orders the result
by severity, so the same client on the same day always gets the same list.
`docs/salud.md` lists every rule and threshold in plain words; keep it in step.
"""

from __future__ import annotations

from collections.abc import Callable

from smartbilling_crm.dominio import Severidad
from smartbilling_crm.salud.reglas.base import (
    NADA,
    AccionSugerida,
    Alerta,
    ContactoHecho,
    ContextoCliente,
    Hallazgos,
    OportunidadSugerida,
    Recomendaciones,
    TareaHecho,
)
from smartbilling_crm.salud.reglas.cobro import (
    regla_cif_nif_invalido,
    regla_factura_vencida,
    regla_riesgo_pago,
    regla_tendencia_pago,
)
from smartbilling_crm.salud.reglas.relacion import (
    regla_engagement,
    regla_inactividad,
    regla_riesgo_perdida,
    regla_sin_contacto_financiero,
    regla_sin_contacto_principal,
    regla_vip,
)
from smartbilling_crm.salud.reglas.venta import (
    regla_cliente_dormido,
    regla_compra_atrasada,
    regla_oportunidad_estancada,
    regla_pipeline,
    regla_proxima_factura,
    regla_tarea_vencida,
)

__all__ = [
    "NADA",
    "REGLAS",
    "AccionSugerida",
    "Alerta",
    "ContactoHecho",
    "ContextoCliente",
    "Hallazgos",
    "OportunidadSugerida",
    "Recomendaciones",
    "TareaHecho",
    "generar",
    "regla_cif_nif_invalido",
    "regla_cliente_dormido",
    "regla_compra_atrasada",
    "regla_engagement",
    "regla_factura_vencida",
    "regla_inactividad",
    "regla_oportunidad_estancada",
    "regla_pipeline",
    "regla_proxima_factura",
    "regla_riesgo_pago",
    "regla_riesgo_perdida",
    "regla_sin_contacto_financiero",
    "regla_sin_contacto_principal",
    "regla_tarea_vencida",
    "regla_tendencia_pago",
    "regla_vip",
]

REGLAS: tuple[Callable[[ContextoCliente], Hallazgos], ...] = (
    regla_factura_vencida,
    regla_riesgo_pago,
    regla_tendencia_pago,
    regla_cif_nif_invalido,
    regla_compra_atrasada,
    regla_proxima_factura,
    regla_cliente_dormido,
    regla_oportunidad_estancada,
    regla_tarea_vencida,
    regla_pipeline,
    regla_sin_contacto_principal,
    regla_sin_contacto_financiero,
    regla_riesgo_perdida,
    regla_inactividad,
    regla_vip,
    regla_engagement,
)


# By value: `Severidad(x)` (an enum lookup) ran ~15 times a client in `recalcular`.
_RANGOS = {str(s): s.rango for s in Severidad}


def rango(severidad: str) -> int:
    """The severity's order (0 = most urgent), from its value."""
    return _RANGOS[severidad]


def generar(ctx: ContextoCliente) -> Recomendaciones:
    """Run every rule; dedupe; order by severity (critica first), then tipo, then text."""
    alertas: dict[tuple[str, str], Alerta] = {}
    oportunidades: set[OportunidadSugerida] = set()
    acciones: dict[str, AccionSugerida] = {}
    for regla in REGLAS:
        hallazgos = regla(ctx)
        for alerta in hallazgos.alertas:
            previa = alertas.get((alerta.tipo, alerta.mensaje))
            if previa is None or rango(alerta.severidad) < rango(previa.severidad):
                alertas[(alerta.tipo, alerta.mensaje)] = alerta
        oportunidades.update(hallazgos.oportunidades)
        for accion in hallazgos.acciones:
            previa_accion = acciones.get(accion.texto)
            if previa_accion is None or rango(accion.severidad) < rango(previa_accion.severidad):
                acciones[accion.texto] = accion
    return Recomendaciones(
        alertas=sorted(alertas.values(), key=lambda a: (rango(a.severidad), a.tipo, a.mensaje)),
        oportunidades=sorted(oportunidades, key=lambda o: (o.tipo, o.mensaje)),
        acciones_sugeridas=[
            a.texto for a in sorted(acciones.values(), key=lambda a: (rango(a.severidad), a.texto))
        ],
    )
