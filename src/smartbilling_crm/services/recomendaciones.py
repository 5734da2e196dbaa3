"""Recommendation rules (contract §5): alerts, sales opportunities and concrete next steps.

Each rule is a small pure function of a `ContextoCliente` (plain values, "today" included)
returning its findings; `generar` runs them all, removes duplicates and orders the result
by severity, so the same client on the same day always gets the same list.
`docs/salud.md` lists every rule and threshold in plain words; keep it in step.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum

from ..formato import dias, euros, fecha
from ..schemas.common import EstadoCliente, RiesgoImpago, TamanoEmpresa
from .salud import (
    PERDIDA_ALTO,
    PERDIDA_CRITICO,
    FacturaHecho,
    OportunidadHecho,
    Salud,
    facturas_vencidas,
    texto_dias,
)


class Severidad(StrEnum):
    BAJA = "baja"
    MEDIA = "media"
    ALTA = "alta"
    CRITICA = "critica"


_RANGO = {Severidad.CRITICA: 0, Severidad.ALTA: 1, Severidad.MEDIA: 2, Severidad.BAJA: 3}

# Thresholds, in days unless said otherwise.
VENCIDA_ALTA = 15  # overdue more than this: alta
VENCIDA_CRITICA = 30  # overdue more than this: critica
PROXIMA_FACTURA_DIAS = 7
OPORTUNIDAD_SIN_ACTIVIDAD = 14
TAREA_VENCIDA_ALTA = 7
INACTIVIDAD_ACCIONES = 15
INACTIVIDAD_ALERTA = 30
ENGAGEMENT_ACTIVIDADES = 5  # more than this in 30 days
PIPELINE_OPORTUNIDADES = 2  # more than this many open


@dataclass(frozen=True)
class Alerta:
    tipo: str
    severidad: str  # baja / media / alta / critica
    mensaje: str


@dataclass(frozen=True)
class OportunidadSugerida:
    tipo: str
    mensaje: str


@dataclass(frozen=True)
class AccionSugerida:
    """A next step; its severity only orders the final list of strings."""

    severidad: str
    texto: str


@dataclass(frozen=True)
class Recomendaciones:
    alertas: list[Alerta]
    oportunidades: list[OportunidadSugerida]
    acciones_sugeridas: list[str]


@dataclass(frozen=True)
class Hallazgos:
    """What one rule found."""

    alertas: tuple[Alerta, ...] = ()
    oportunidades: tuple[OportunidadSugerida, ...] = ()
    acciones: tuple[AccionSugerida, ...] = ()


NADA = Hallazgos()


@dataclass(frozen=True)
class ContactoHecho:
    id: str
    nombre_completo: str
    rol: str
    es_contacto_principal: bool
    es_contacto_financiero: bool


@dataclass(frozen=True)
class TareaHecho:
    """An open task (activity of tipo tarea, not completed)."""

    id: str
    titulo: str
    fecha: date


@dataclass(frozen=True)
class ContextoCliente:
    nombre_empresa: str
    estado: str
    tamano_empresa: str | None
    ltv: Decimal
    cif_nif: str | None
    cif_nif_valido: bool | None
    en_top_ltv: bool  # within the VIP threshold by LTV, whatever the lifecycle state
    salud: Salud
    facturas: Sequence[FacturaHecho]
    contactos: Sequence[ContactoHecho]
    oportunidades_abiertas: Sequence[OportunidadHecho]
    tareas_pendientes: Sequence[TareaHecho]
    ultima_actividad: date | None  # Madrid date of the newest activity up to now
    hoy: date


# ---------------------------------------------------------------- who to talk to


def _nombre(contacto: ContactoHecho) -> str:
    rol = contacto.rol.strip()
    return f"{contacto.nombre_completo} ({rol})" if rol else contacto.nombre_completo


def _ordenados(contactos: Sequence[ContactoHecho]) -> list[ContactoHecho]:
    return sorted(contactos, key=lambda c: (not c.es_contacto_principal, c.nombre_completo, c.id))


def contacto_cobros(ctx: ContextoCliente) -> ContactoHecho | None:
    """Who to chase payments with: the financial contact, else the principal one."""
    financieros = [c for c in ctx.contactos if c.es_contacto_financiero]
    if financieros:
        return _ordenados(financieros)[0]
    return contacto_comercial(ctx)


def contacto_comercial(ctx: ContextoCliente) -> ContactoHecho | None:
    """Who to talk business with: the principal contact, else None."""
    principales = [c for c in ctx.contactos if c.es_contacto_principal]
    return _ordenados(principales)[0] if principales else None


def _en_frase(motivos: Sequence[str]) -> str:
    """Reasons joined mid-sentence: 'x; y', each starting lower-case as Spanish wants."""
    return "; ".join(m[:1].lower() + m[1:] for m in motivos)


def _punto(frase: str) -> str:
    """End a sentence once, even when it ends in 'S.L.'."""
    return frase if frase.endswith(".") else f"{frase}."


def _a_quien(contacto: ContactoHecho | None, ctx: ContextoCliente) -> str:
    return _nombre(contacto) if contacto is not None else ctx.nombre_empresa


# ---------------------------------------------------------------- payment rules


def regla_factura_vencida(ctx: ContextoCliente) -> Hallazgos:
    """One alert and one call per unpaid invoice past its due date."""
    alertas: list[Alerta] = []
    acciones: list[AccionSugerida] = []
    quien = _a_quien(contacto_cobros(ctx), ctx)
    for factura in facturas_vencidas(ctx.facturas, ctx.hoy):
        assert factura.fecha_vencimiento is not None
        retraso = (ctx.hoy - factura.fecha_vencimiento).days
        if retraso > VENCIDA_CRITICA:
            severidad = Severidad.CRITICA
        elif retraso > VENCIDA_ALTA:
            severidad = Severidad.ALTA
        else:
            severidad = Severidad.MEDIA
        alertas.append(
            Alerta(
                "factura_vencida",
                severidad,
                f"Factura {factura.numero} de {euros(factura.total)} sin pagar: venció el "
                f"{fecha(factura.fecha_vencimiento)}, hace {dias(retraso)}.",
            )
        )
        acciones.append(
            AccionSugerida(
                severidad,
                f"Llamar a {quien} para reclamar la factura {factura.numero} de "
                f"{euros(factura.total)}, vencida hace {dias(retraso)}",
            )
        )
    return Hallazgos(alertas=tuple(alertas), acciones=tuple(acciones))


def regla_riesgo_pago(ctx: ContextoCliente) -> Hallazgos:
    """The sketch's rule: a high or critical non-payment risk, with its reasons."""
    nivel = ctx.salud.riesgo_impago_nivel
    if nivel not in (RiesgoImpago.ALTO, RiesgoImpago.CRITICO):
        return NADA
    severidad = Severidad.CRITICA if nivel == RiesgoImpago.CRITICO else Severidad.ALTA
    nombre_nivel = "crítico" if nivel == RiesgoImpago.CRITICO else "alto"
    motivos = _en_frase(ctx.salud.motivos_impago)
    return Hallazgos(
        alertas=(
            Alerta(
                "riesgo_pago",
                severidad,
                f"Riesgo de impago {nombre_nivel}: {motivos}. Revisar las condiciones de pago.",
            ),
        ),
        acciones=(
            AccionSugerida(
                severidad,
                f"Pedir pago por adelantado a {ctx.nombre_empresa} en los próximos pedidos "
                "hasta que se ponga al día",
            ),
        ),
    )


def regla_tendencia_pago(ctx: ContextoCliente) -> Hallazgos:
    """Early warning: the last 3 payments took 10+ days longer than the client's history."""
    tendencia = ctx.salud.tendencia_pago
    if tendencia is None or not tendencia.empeora:
        return NADA
    mensaje = (
        f"{ctx.nombre_empresa} paga cada vez más tarde: sus {tendencia.recientes} últimos pagos "
        f"tardaron de media {texto_dias(round(tendencia.media_reciente, 1))}, frente a "
        f"{texto_dias(round(tendencia.media_anterior, 1))} antes "
        f"({texto_dias(tendencia.diferencia)} más)."
    )
    quien = _a_quien(contacto_cobros(ctx), ctx)
    # With invoices already overdue the overdue-invoice calls say it; this one is preventive.
    cuando = "" if ctx.salud.facturas_vencidas else " antes de que haya facturas vencidas"
    return Hallazgos(
        alertas=(Alerta("tendencia_pago", Severidad.MEDIA, mensaje),),
        acciones=(
            AccionSugerida(
                Severidad.MEDIA,
                f"Hablar con {quien} sobre los retrasos en los pagos{cuando}",
            ),
        ),
    )


def regla_cif_nif_invalido(ctx: ContextoCliente) -> Hallazgos:
    """A CIF/NIF whose check digit is wrong must be fixed before the next invoice."""
    if ctx.cif_nif_valido is not False:
        return NADA
    return Hallazgos(
        alertas=(
            Alerta(
                "cif_nif_invalido",
                Severidad.ALTA,
                f"El CIF/NIF {ctx.cif_nif or ''} de {ctx.nombre_empresa} tiene el dígito de "
                "control incorrecto: corregirlo antes de emitir la próxima factura.",
            ),
        ),
        acciones=(
            AccionSugerida(
                Severidad.ALTA,
                f"Pedir a {ctx.nombre_empresa} su CIF/NIF correcto y actualizar la ficha",
            ),
        ),
    )


# ---------------------------------------------------------------- purchase rules


def _ultima_compra(ctx: ContextoCliente) -> date | None:
    return ctx.salud.fecha_ultima_compra


def regla_compra_atrasada(ctx: ContextoCliente) -> Hallazgos:
    """The next purchase by the client's own cadence is already late."""
    proxima = ctx.salud.fecha_proxima_factura_esperada
    frecuencia = ctx.salud.frecuencia_compra_dias
    ultima = _ultima_compra(ctx)
    if (
        proxima is None
        or frecuencia is None
        or ultima is None
        or proxima >= ctx.hoy
        or ctx.estado == EstadoCliente.CLIENTE_PERDIDO
    ):
        return NADA
    retraso = (ctx.hoy - proxima).days
    # More than one whole gap late means it has already skipped a purchase.
    severidad = Severidad.ALTA if retraso > frecuencia else Severidad.MEDIA
    quien = _a_quien(contacto_comercial(ctx), ctx)
    return Hallazgos(
        alertas=(
            Alerta(
                "compra_atrasada",
                severidad,
                f"Compra atrasada: suele comprar cada {dias(frecuencia)} y la última fue el "
                f"{fecha(ultima)}; se esperaba otra el {fecha(proxima)} (hace {dias(retraso)}).",
            ),
        ),
        acciones=(
            AccionSugerida(
                severidad,
                f"Llamar a {quien} para preguntar por su próximo pedido "
                f"(se esperaba el {fecha(proxima)})",
            ),
        ),
    )


def regla_proxima_factura(ctx: ContextoCliente) -> Hallazgos:
    """By its cadence the client should buy again within the next 7 days."""
    proxima = ctx.salud.fecha_proxima_factura_esperada
    promedio = ctx.salud.monto_promedio_factura
    if (
        proxima is None
        or not ctx.hoy <= proxima <= ctx.hoy + timedelta(days=PROXIMA_FACTURA_DIAS)
        or ctx.estado in (EstadoCliente.CLIENTE_DORMIDO, EstadoCliente.CLIENTE_PERDIDO)
    ):
        return NADA
    faltan = (proxima - ctx.hoy).days
    cuando = "hoy" if faltan == 0 else f"en {dias(faltan)}"
    importe = f", por unos {euros(promedio)} según su media" if promedio is not None else ""
    return Hallazgos(
        alertas=(
            Alerta(
                "proxima_factura",
                Severidad.BAJA,
                f"Próxima compra esperada el {fecha(proxima)} ({cuando}){importe}.",
            ),
        ),
        acciones=(
            AccionSugerida(
                Severidad.BAJA,
                f"Preparar el próximo pedido de {ctx.nombre_empresa} (esperado el "
                f"{fecha(proxima)})",
            ),
        ),
    )


def regla_cliente_dormido(ctx: ContextoCliente) -> Hallazgos:
    """A dormant client; a dormant VIP (top LTV) is critical and replaces the plain alert."""
    if ctx.estado != EstadoCliente.CLIENTE_DORMIDO:
        return NADA
    ultima = _ultima_compra(ctx)
    desde = f" desde el {fecha(ultima)} (hace {dias((ctx.hoy - ultima).days)})" if ultima else ""
    quien = _a_quien(contacto_comercial(ctx), ctx)
    if ctx.en_top_ltv:
        return Hallazgos(
            alertas=(
                Alerta(
                    "vip_dormido",
                    Severidad.CRITICA,
                    f"Cliente VIP dormido: {ctx.nombre_empresa} (LTV {euros(ctx.ltv)}) no "
                    f"compra{desde}.",
                ),
            ),
            acciones=(
                AccionSugerida(
                    Severidad.CRITICA,
                    f"Llamar hoy a {quien}: es uno de los clientes que más factura y no "
                    f"compra{desde}",
                ),
            ),
        )
    return Hallazgos(
        alertas=(
            Alerta(
                "cliente_dormido",
                Severidad.MEDIA,
                f"Cliente dormido: sin compras{desde}.",
            ),
        ),
        acciones=(
            AccionSugerida(
                Severidad.MEDIA,
                f"Contactar con {quien} con una oferta para reactivarlo",
            ),
        ),
    )


# ---------------------------------------------------------------- pipeline and tasks


def regla_oportunidad_estancada(ctx: ContextoCliente) -> Hallazgos:
    """An open opportunity past its estimated close, or with the client silent for 14 days."""
    alertas: list[Alerta] = []
    acciones: list[AccionSugerida] = []
    quien = _a_quien(contacto_comercial(ctx), ctx)
    silencio = None if ctx.ultima_actividad is None else (ctx.hoy - ctx.ultima_actividad).days
    for oportunidad in sorted(ctx.oportunidades_abiertas, key=lambda o: (o.nombre_proyecto, o.id)):
        nombre = f"«{oportunidad.nombre_proyecto}» ({euros(oportunidad.monto_estimado)})"
        cierre = oportunidad.fecha_cierre_estimada
        if cierre is not None and cierre < ctx.hoy:
            motivo = (
                f"su cierre estimado era el {fecha(cierre)} (hace {dias((ctx.hoy - cierre).days)})"
            )
        elif silencio is None:
            motivo = "no hay ninguna actividad registrada con el cliente"
        elif silencio >= OPORTUNIDAD_SIN_ACTIVIDAD:
            motivo = f"no hay actividad con el cliente desde hace {dias(silencio)}"
        else:
            continue
        alertas.append(
            Alerta(
                "oportunidad_estancada",
                Severidad.MEDIA,
                f"La oportunidad {nombre} está estancada: {motivo}.",
            )
        )
        acciones.append(
            AccionSugerida(
                Severidad.MEDIA,
                f"Llamar a {quien} para avanzar la oportunidad {nombre} y fijar una nueva "
                "fecha de cierre",
            )
        )
    return Hallazgos(alertas=tuple(alertas), acciones=tuple(acciones))


def regla_tarea_vencida(ctx: ContextoCliente) -> Hallazgos:
    """An open task whose date has passed."""
    alertas: list[Alerta] = []
    acciones: list[AccionSugerida] = []
    for tarea in sorted(ctx.tareas_pendientes, key=lambda t: (t.fecha, t.titulo, t.id)):
        if tarea.fecha >= ctx.hoy:
            continue
        retraso = (ctx.hoy - tarea.fecha).days
        severidad = Severidad.ALTA if retraso > TAREA_VENCIDA_ALTA else Severidad.MEDIA
        alertas.append(
            Alerta(
                "tarea_vencida",
                severidad,
                f"La tarea «{tarea.titulo}» venció el {fecha(tarea.fecha)} (hace {dias(retraso)}).",
            )
        )
        acciones.append(
            AccionSugerida(severidad, f"Completar o reprogramar la tarea «{tarea.titulo}»")
        )
    return Hallazgos(alertas=tuple(alertas), acciones=tuple(acciones))


def regla_pipeline(ctx: ContextoCliente) -> Hallazgos:
    """The sketch's rule: with more than 2 open opportunities, say which to push first."""
    abiertas = ctx.oportunidades_abiertas
    if len(abiertas) <= PIPELINE_OPORTUNIDADES:
        return NADA

    def ponderado(o: OportunidadHecho) -> Decimal:
        return o.monto_estimado * o.probabilidad_cierre / Decimal(100)

    primera = min(abiertas, key=lambda o: (-ponderado(o), o.nombre_proyecto, o.id))
    total = sum((o.monto_estimado for o in abiertas), Decimal(0))
    total_ponderado = sum((ponderado(o) for o in abiertas), Decimal(0))
    return Hallazgos(
        acciones=(
            AccionSugerida(
                Severidad.BAJA,
                f"Priorizar las {len(abiertas)} oportunidades abiertas ({euros(total)}, "
                f"{euros(total_ponderado)} ponderado), empezando por "
                f"«{primera.nombre_proyecto}» ({euros(primera.monto_estimado)}, "
                f"{primera.probabilidad_cierre} %)",
            ),
        )
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
    if not any(not f.anulada and f.total > 0 for f in ctx.facturas):
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
    """A churn score in the alto (60+) or critico (80+) band."""
    score = ctx.salud.riesgo_perdida_score
    if score < PERDIDA_ALTO:
        return NADA
    severidad = Severidad.CRITICA if score >= PERDIDA_CRITICO else Severidad.ALTA
    detalle = _en_frase([m for m in ctx.salud.motivos_perdida if not m.startswith("Riesgo de")])
    quien = _a_quien(contacto_comercial(ctx), ctx)
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
    quien = _a_quien(contacto_comercial(ctx), ctx)
    if silencio is None:
        return Hallazgos(
            alertas=(
                Alerta(
                    "inactividad",
                    Severidad.BAJA,
                    _punto(f"No hay ninguna actividad registrada con {ctx.nombre_empresa}"),
                ),
            ),
            acciones=(AccionSugerida(Severidad.BAJA, f"Programar un primer contacto con {quien}"),),
        )
    if silencio <= INACTIVIDAD_ACCIONES:
        return NADA
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


def _rango(severidad: str) -> int:
    return _RANGO[Severidad(severidad)]


def generar(ctx: ContextoCliente) -> Recomendaciones:
    """Run every rule; dedupe; order by severity (critica first), then tipo, then text."""
    alertas: dict[tuple[str, str], Alerta] = {}
    oportunidades: set[OportunidadSugerida] = set()
    acciones: dict[str, AccionSugerida] = {}
    for regla in REGLAS:
        hallazgos = regla(ctx)
        for alerta in hallazgos.alertas:
            previa = alertas.get((alerta.tipo, alerta.mensaje))
            if previa is None or _rango(alerta.severidad) < _rango(previa.severidad):
                alertas[(alerta.tipo, alerta.mensaje)] = alerta
        oportunidades.update(hallazgos.oportunidades)
        for accion in hallazgos.acciones:
            previa_accion = acciones.get(accion.texto)
            if previa_accion is None or _rango(accion.severidad) < _rango(previa_accion.severidad):
                acciones[accion.texto] = accion
    return Recomendaciones(
        alertas=sorted(alertas.values(), key=lambda a: (_rango(a.severidad), a.tipo, a.mensaje)),
        oportunidades=sorted(oportunidades, key=lambda o: (o.tipo, o.mensaje)),
        acciones_sugeridas=[
            a.texto for a in sorted(acciones.values(), key=lambda a: (_rango(a.severidad), a.texto))
        ],
    )
