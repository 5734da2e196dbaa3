"""Payment rules: overdue invoices, payment risk and trend, a tax id to fix."""

from __future__ import annotations

from smartbilling_crm.dominio import RiesgoImpago, Severidad
from smartbilling_crm.kit.formato import euros, fecha, hace
from smartbilling_crm.salud.motor.cobros import facturas_vencidas
from smartbilling_crm.salud.motor.hechos import (
    pendiente_de,
    texto_dias,
    un_decimal,
)
from smartbilling_crm.salud.reglas.base import (
    NADA,
    VENCIDA_ALTA,
    VENCIDA_CRITICA,
    AccionSugerida,
    Alerta,
    ContextoCliente,
    Hallazgos,
    a_quien,
    contacto_cobros,
    en_frase,
)

# ---------------------------------------------------------------- payment rules


def regla_factura_vencida(ctx: ContextoCliente) -> Hallazgos:
    """One alert and one call per invoice with something still owed past its due date."""
    vencidas = facturas_vencidas(ctx.vencidas, ctx.hoy)  # in their order, whatever given
    if not vencidas:  # nothing overdue: no contact to pick, nothing to write
        return NADA
    alertas: list[Alerta] = []
    acciones: list[AccionSugerida] = []
    quien = a_quien(contacto_cobros(ctx), ctx)
    for factura in vencidas:
        assert factura.fecha_vencimiento is not None
        retraso = (ctx.hoy - factura.fecha_vencimiento).days
        if retraso > VENCIDA_CRITICA:
            severidad = Severidad.CRITICA
        elif retraso > VENCIDA_ALTA:
            severidad = Severidad.ALTA
        else:
            severidad = Severidad.MEDIA
        pendiente = pendiente_de(factura)
        if pendiente < factura.total:  # partly paid or credited: what is still owed
            que = f"Factura {factura.numero}: quedan {euros(pendiente)} de {euros(factura.total)}"
            reclamar = f"los {euros(pendiente)} pendientes de la factura {factura.numero}"
        else:
            que = f"Factura {factura.numero} de {euros(factura.total)}"
            reclamar = f"la factura {factura.numero} de {euros(factura.total)}"
        alertas.append(
            Alerta(
                "factura_vencida",
                severidad,
                f"{que} sin pagar: venció el {fecha(factura.fecha_vencimiento)}, {hace(retraso)}.",
                factura.factura_id,
            )
        )
        acciones.append(
            AccionSugerida(
                severidad, f"Llamar a {quien} para reclamar {reclamar}, vencida {hace(retraso)}"
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
    motivos = en_frase(ctx.salud.motivos_impago)
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
        f"tardaron de media {texto_dias(un_decimal(tendencia.media_reciente))}, frente a "
        f"{texto_dias(un_decimal(tendencia.media_anterior))} antes "
        f"({texto_dias(tendencia.diferencia)} más)."
    )
    quien = a_quien(contacto_cobros(ctx), ctx)
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
