"""Purchase and pipeline rules: a late purchase, the next invoice, dormancy, stalled deals,
overdue tasks, a busy pipeline."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from smartbilling_crm.dominio import EstadoCliente, Severidad
from smartbilling_crm.kit.formato import dias, euros, fecha, hace
from smartbilling_crm.salud.motor.hechos import (
    OportunidadHecho,
    desplazar_acotado,
)
from smartbilling_crm.salud.reglas.base import (
    NADA,
    OPORTUNIDAD_SIN_ACTIVIDAD,
    PIPELINE_OPORTUNIDADES,
    PROXIMA_FACTURA_DIAS,
    TAREA_VENCIDA_ALTA,
    AccionSugerida,
    Alerta,
    ContextoCliente,
    Hallazgos,
    a_quien,
    contacto_comercial,
)

# ---------------------------------------------------------------- purchase rules


def _ultima_compra(ctx: ContextoCliente) -> date | None:
    return ctx.salud.fecha_ultima_compra


def _atrasada(ctx: ContextoCliente) -> bool:
    """By the client's own cadence its next purchase is already late."""
    proxima = ctx.salud.fecha_segun_cadencia
    return (
        proxima is not None
        and ctx.salud.frecuencia_compra_dias is not None
        and _ultima_compra(ctx) is not None
        and proxima < ctx.hoy
        and ctx.estado != EstadoCliente.CLIENTE_PERDIDO
    )


def regla_compra_atrasada(ctx: ContextoCliente) -> Hallazgos:
    """The next purchase by the client's own cadence is already late."""
    proxima = ctx.salud.fecha_segun_cadencia
    frecuencia = ctx.salud.frecuencia_compra_dias
    ultima = _ultima_compra(ctx)
    if not _atrasada(ctx) or proxima is None or frecuencia is None or ultima is None:
        return NADA
    retraso = (ctx.hoy - proxima).days
    # More than one whole gap late means it has already skipped a purchase.
    severidad = Severidad.ALTA if retraso > frecuencia else Severidad.MEDIA
    quien = a_quien(contacto_comercial(ctx), ctx)
    return Hallazgos(
        alertas=(
            Alerta(
                "compra_atrasada",
                severidad,
                f"Compra atrasada: suele comprar cada {dias(frecuencia)} y la última fue el "
                f"{fecha(ultima)}; se esperaba otra el {fecha(proxima)} ({hace(retraso)}).",
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
    """By the purchase model the client should buy again within the next 7 days. Not when
    its own cadence says that purchase is already late: "Compra atrasada" says so, and
    "expected in 5 days" beside it would contradict it."""
    proxima = ctx.salud.fecha_proxima_factura_esperada
    promedio = ctx.salud.monto_promedio_factura
    if (
        proxima is None
        or not ctx.hoy <= proxima <= desplazar_acotado(ctx.hoy, PROXIMA_FACTURA_DIAS)
        or ctx.estado in (EstadoCliente.CLIENTE_DORMIDO, EstadoCliente.CLIENTE_PERDIDO)
        or _atrasada(ctx)
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
    desde = f" desde el {fecha(ultima)} ({hace((ctx.hoy - ultima).days)})" if ultima else ""
    quien = a_quien(contacto_comercial(ctx), ctx)
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
    quien: str | None = None  # whom to call: picked once, for the first stale opportunity
    silencio = None if ctx.ultima_actividad is None else (ctx.hoy - ctx.ultima_actividad).days
    for oportunidad in sorted(ctx.oportunidades_abiertas, key=lambda o: (o.nombre_proyecto, o.id)):
        cierre = oportunidad.fecha_cierre_estimada
        if cierre is not None and cierre < ctx.hoy:
            motivo = f"su cierre estimado era el {fecha(cierre)} ({hace((ctx.hoy - cierre).days)})"
        elif silencio is None:
            motivo = "no hay ninguna interacción registrada con el cliente"
        elif silencio >= OPORTUNIDAD_SIN_ACTIVIDAD:
            motivo = f"no hay actividad con el cliente desde hace {dias(silencio)}"
        else:
            continue
        nombre = f"«{oportunidad.nombre_proyecto}» ({euros(oportunidad.monto_estimado)})"
        if quien is None:
            quien = a_quien(contacto_comercial(ctx), ctx)
        alertas.append(
            Alerta(
                "oportunidad_estancada",
                Severidad.MEDIA,
                f"La oportunidad {nombre} está estancada: {motivo}.",
                oportunidad.id,
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
                f"La tarea «{tarea.titulo}» venció el {fecha(tarea.fecha)} ({hace(retraso)}).",
                tarea.id,
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
