"""Relationship rules: missing contacts, churn risk, silence, VIP care, engagement."""

from __future__ import annotations

from smartbilling_crm.dominio import EstadoCliente, RiesgoImpago, Severidad, TamanoEmpresa
from smartbilling_crm.kit.formato import dias, euros
from smartbilling_crm.salud.motor.hechos import (
    PERDIDA_ALTO,
    PERDIDA_CRITICO,
)
from smartbilling_crm.salud.reglas.base import (
    ENGAGEMENT_ACTIVIDADES,
    INACTIVIDAD_ACCIONES,
    INACTIVIDAD_ALERTA,
    NADA,
    AccionSugerida,
    Alerta,
    ContextoCliente,
    Hallazgos,
    OportunidadSugerida,
    a_quien,
    contacto_comercial,
    en_frase,
    punto,
)

# ---------------------------------------------------------------- contacts


def regla_sin_contacto_principal(ctx: ContextoCliente) -> Hallazgos:
    """No principal contact (or no contact at all): nobody to call."""
    if contacto_comercial(ctx) is not None:
        return NADA
    if ctx.contactos:
        mensaje = f"{ctx.nombre_empresa} no tiene contacto principal."
        accion = f"Marcar el contacto principal de {ctx.nombre_empresa}"
    else:
        mensaje = f"{ctx.nombre_empresa} no tiene ningún contacto registrado."
        accion = f"Registrar al menos un contacto de {ctx.nombre_empresa}"
    return Hallazgos(
        alertas=(Alerta("sin_contacto_principal", Severidad.BAJA, mensaje),),
        acciones=(AccionSugerida(Severidad.BAJA, accion),),
    )


def regla_sin_contacto_financiero(ctx: ContextoCliente) -> Hallazgos:
    """A client we invoice without a financial contact; worse when an invoice is overdue."""
    if any(c.es_contacto_financiero for c in ctx.contactos):
        return NADA
    if not ctx.de_cobro:
        return NADA
    severidad = Severidad.MEDIA if ctx.salud.facturas_vencidas else Severidad.BAJA
    return Hallazgos(
        alertas=(
            Alerta(
                "sin_contacto_financiero",
                severidad,
                f"{ctx.nombre_empresa} no tiene contacto financiero para facturas y cobros.",
            ),
        ),
        acciones=(
            AccionSugerida(
                severidad,
                f"Pedir a {ctx.nombre_empresa} el contacto de su departamento de contabilidad",
            ),
        ),
    )


# ---------------------------------------------------------------- engagement and churn


def regla_riesgo_perdida(ctx: ContextoCliente) -> Hallazgos:
    """A churn score in the alto (60+) or critico (80+) band; none for a client already lost."""
    score = ctx.salud.riesgo_perdida_score
    if score < PERDIDA_ALTO or ctx.estado == EstadoCliente.CLIENTE_PERDIDO:
        return NADA
    severidad = Severidad.CRITICA if score >= PERDIDA_CRITICO else Severidad.ALTA
    detalle = en_frase([m for m in ctx.salud.motivos_perdida if not m.startswith("Riesgo de")])
    quien = a_quien(contacto_comercial(ctx), ctx)
    return Hallazgos(
        alertas=(
            Alerta(
                "riesgo_perdida",
                severidad,
                f"Riesgo de pérdida {score}/100: {detalle}.",
            ),
        ),
        acciones=(
            AccionSugerida(
                severidad, f"Llamar a {quien} para saber cómo está y qué necesita ahora"
            ),
        ),
    )


def regla_inactividad(ctx: ContextoCliente) -> Hallazgos:
    """The sketch's rule: follow up after 15 silent days, alert after 30."""
    silencio = ctx.salud.dias_sin_actividad
    if silencio is not None and silencio <= INACTIVIDAD_ACCIONES:
        return NADA
    quien = a_quien(contacto_comercial(ctx), ctx)
    if silencio is None:
        return Hallazgos(
            alertas=(
                Alerta(
                    "inactividad",
                    Severidad.BAJA,
                    punto(f"No hay ninguna interacción registrada con {ctx.nombre_empresa}"),
                ),
            ),
            acciones=(AccionSugerida(Severidad.BAJA, f"Programar un primer contacto con {quien}"),),
        )
    acciones = (
        AccionSugerida(
            Severidad.MEDIA,
            f"Enviar un email de seguimiento a {quien} (sin actividad desde hace {dias(silencio)})",
        ),
        AccionSugerida(Severidad.MEDIA, f"Programar una llamada de seguimiento con {quien}"),
    )
    if silencio <= INACTIVIDAD_ALERTA:
        return Hallazgos(acciones=acciones)
    return Hallazgos(
        alertas=(
            Alerta(
                "inactividad",
                Severidad.MEDIA,
                f"Sin actividad con {ctx.nombre_empresa} desde hace {dias(silencio)}: "
                "conviene un contacto proactivo.",
            ),
        ),
        acciones=acciones,
    )


def regla_vip(ctx: ContextoCliente) -> Hallazgos:
    """A VIP (top LTV, active) deserves closer care; dormant VIPs get an alert instead."""
    if not ctx.en_top_ltv or ctx.estado in (
        EstadoCliente.CLIENTE_DORMIDO,
        EstadoCliente.CLIENTE_PERDIDO,
        EstadoCliente.PROSPECTO,
    ):
        return NADA
    if ctx.tamano_empresa in (TamanoEmpresa.MEDIANA, TamanoEmpresa.GRANDE):
        propuesta = "considerar un gestor de cuenta dedicado"
    else:
        propuesta = "ofrecerle atención prioritaria"
    return Hallazgos(
        oportunidades=(
            OportunidadSugerida(
                "vip",
                f"Cliente VIP (LTV {euros(ctx.ltv)}, entre el 10 % que más factura): {propuesta}.",
            ),
        )
    )


def regla_engagement(ctx: ContextoCliente) -> Hallazgos:
    """Many recent activities and no payment trouble: a good moment to sell more."""
    recientes = ctx.salud.numero_actividades_ultimos_30_dias
    if recientes <= ENGAGEMENT_ACTIVIDADES or ctx.salud.riesgo_impago_nivel in (
        RiesgoImpago.ALTO,
        RiesgoImpago.CRITICO,
    ):
        return NADA
    if ctx.estado == EstadoCliente.PROSPECTO:
        propuesta = "buen momento para enviar una propuesta"
    else:
        propuesta = "buen momento para proponer servicios adicionales"
    return Hallazgos(
        oportunidades=(
            OportunidadSugerida(
                "engagement",
                f"Alto engagement: {recientes} actividades en los últimos 30 días; {propuesta}.",
            ),
        )
    )
