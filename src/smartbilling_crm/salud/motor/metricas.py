"""Client health (contract §4): every metric as of one day, lifecycle state and the VIP
threshold. Pure functions over plain values, tested at fixed dates without a database.
`docs/salud.md` explains each metric and threshold in plain words; keep it in step.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from decimal import Decimal

from smartbilling_crm.dominio import EstadoCliente, RiesgoImpago
from smartbilling_crm.salud.motor.cadencia import (
    calcular_ltv,
    fechas_compra,
    frecuencia_compra,
    ingresos_oportunidades,
    meses_entre,
    monto_promedio,
    nivel_riesgo_perdida,
    riesgo_perdida_modelo,
)
from smartbilling_crm.salud.motor.cobros import facturas_vencidas, tendencia_pago
from smartbilling_crm.salud.motor.hechos import (
    MADRID,
    ORDEN_RIESGO,
    SALUD_POR_RIESGO,
    VENTANA_ACTIVIDAD_DIAS,
    FacturaHecho,
    OportunidadHecho,
    Salud,
    TendenciaPago,
    cobros_de,
    de_cobro,
    desplazar,
    dinero,
    pendiente_de,
    texto_dias,
    un_decimal,
)
from smartbilling_crm.salud.motor.modelo_compras import PrediccionCompras
from smartbilling_crm.salud.motor.pagos import (
    PLAZO_PAGO_DIAS,
    Cobro,
    ComportamientoPago,
    FacturaCobro,
    PriorPagos,
    ajustar_prior,
    comportamiento_pago,
)

# Before the first recompute fits the portfolio's prior (salud.motor.pagos).
PRIOR_POR_DEFECTO = ajustar_prior([])


def salud_general(
    riesgo_impago_nivel: str, riesgo_perdida_score: int, *, estado: str | None = None
) -> str:
    """The worse of the two risks: bajo→excelente, medio→buena, alto→en_riesgo, critico→critica.

    A dormant client is at least `medio` (never excelente): it has stopped buying."""
    niveles = [riesgo_impago_nivel, nivel_riesgo_perdida(riesgo_perdida_score)]
    if estado == EstadoCliente.CLIENTE_DORMIDO:
        niveles.append(RiesgoImpago.MEDIO)
    return _SALUD_POR_NIVEL[max(niveles, key=_ORDEN_NIVEL.__getitem__)]


# By value (an enum lookup per call cost more than the rest of `salud_general`).
_ORDEN_NIVEL = {str(n): i for i, n in enumerate(ORDEN_RIESGO)}
_SALUD_POR_NIVEL = {str(n): str(s) for n, s in SALUD_POR_RIESGO.items()}


# ---------------------------------------------------------------- the whole picture


def facturas_de_cobro(facturas: Sequence[FacturaHecho]) -> list[FacturaCobro]:
    """The invoices the client owes, as the payment engine reads them."""
    return [
        FacturaCobro(
            fecha_emision=f.fecha_emision,
            fecha_vencimiento=f.fecha_vencimiento,
            total=f.total,
            pendiente=pendiente_de(f),
            cobros=tuple(Cobro(dia, importe) for dia, importe in cobros_de(f)),
            numero=f.numero,
        )
        for f in de_cobro(facturas)
    ]


def saldo_a_favor(facturas: Sequence[FacturaHecho]) -> Decimal:
    """The client's money: credit nobody owes, overpayments, payments of cancelled invoices."""
    saldo = Decimal(0)
    for f in facturas:
        pagado = sum((importe for _, importe in cobros_de(f)), Decimal(0))
        if f.anulada:
            saldo += pagado
        elif f.total < 0:
            saldo += max(Decimal(0), -f.total - pagado)
        elif f.total > 0:
            saldo += max(Decimal(0), pagado - f.total) - f.credito_aplicado
    return dinero(max(Decimal(0), saldo))


def _local(instante: datetime, tz: tzinfo) -> datetime:
    # Naive instants are read in the business time zone, as the API does.
    return instante.replace(tzinfo=tz) if instante.tzinfo is None else instante.astimezone(tz)


@dataclass(frozen=True)
class FigurasLibro:
    """What the health figures and rules read of a client's ledger, besides its payment
    behaviour (`pagos`): from its invoices (`figuras_libro`) or, in the daily recompute,
    from a whole batch's arrays at once (`figuras_lote`, tested equal to this)."""

    ltv: Decimal
    monto_promedio: Decimal | None
    compras: list[date]  # `cadencia.fechas_compra` up to `hoy` (one dated later is not yet)
    pagada_mas_antigua: date | None  # issued first among those settled by payments
    impagada_mas_antigua: date | None  # issued first among those still owing
    tendencia: TendenciaPago | None
    saldo_a_favor: Decimal
    vencidas: list[FacturaHecho]  # `cobros.facturas_vencidas`, the longest overdue first
    de_cobro: bool  # some live invoice to be paid (total > 0)


def figuras_libro(facturas: Sequence[FacturaHecho], hoy: date) -> FigurasLibro:
    """The ledger figures of one client's invoices, as of `hoy`."""
    cobro = de_cobro(facturas)
    pagadas = [f for f in cobro if f.fecha_pago is not None and pendiente_de(f) <= 0]
    impagadas = [f for f in cobro if pendiente_de(f) > 0]
    return FigurasLibro(
        ltv=calcular_ltv(facturas),
        monto_promedio=monto_promedio(facturas),
        compras=[d for d in fechas_compra(facturas) if d <= hoy],
        pagada_mas_antigua=min((f.fecha_emision for f in pagadas), default=None),
        impagada_mas_antigua=min((f.fecha_emision for f in impagadas), default=None),
        tendencia=tendencia_pago(facturas),
        saldo_a_favor=saldo_a_favor(facturas),
        vencidas=facturas_vencidas(facturas, hoy),
        de_cobro=bool(cobro),
    )


def calcular_salud(
    *,
    facturas: Sequence[FacturaHecho],
    fechas_actividad: Sequence[datetime],
    oportunidades_abiertas: Sequence[OportunidadHecho],
    estado: str,
    hoy: date,
    ahora: datetime,
    tz: tzinfo = MADRID,
    prediccion: PrediccionCompras | None = None,
    prior: PriorPagos = PRIOR_POR_DEFECTO,
    plazo_dias: int = PLAZO_PAGO_DIAS,
    pago: ComportamientoPago | None = None,
    figuras: FigurasLibro | None = None,
) -> Salud:
    """Every health metric of contract §4/§7/§8 for one client, as of `hoy` / `ahora`.

    `prediccion` is the purchase model's view of the client (`modelo_compras.predecir`),
    None when it never bought; `prior` the portfolio's late-payment prior. `pago` (its
    payment behaviour, `pagos_lote`) and `figuras` (`figuras_lote`) when the caller scored
    a whole batch at once, each computed here from `facturas` otherwise (`facturas` is not
    read when both are given)."""
    if pago is None:
        pago = comportamiento_pago(facturas_de_cobro(facturas), hoy, prior, plazo_dias)
    if figuras is None:
        figuras = figuras_libro(facturas, hoy)
    compras = figuras.compras
    frecuencia = frecuencia_compra(compras)

    ahora_local = _local(ahora, tz)
    pasadas = sorted(a for a in (_local(f, tz) for f in fechas_actividad) if a <= ahora_local)
    ultima_interaccion = pasadas[-1] if pasadas else None
    dias_sin_actividad = (
        max(0, (hoy - ultima_interaccion.date()).days) if ultima_interaccion else None
    )
    recientes = sum(1 for a in pasadas if (hoy - a.date()).days < VENTANA_ACTIVIDAD_DIAS)

    dias_desde_compra = (hoy - compras[-1]).days if compras else None
    nivel_impago: str = pago.riesgo_impago_nivel
    motivos_impago = list(pago.motivos)
    tendencia = figuras.tendencia
    if tendencia is not None and tendencia.empeora:
        nivel_impago = max(nivel_impago, str(RiesgoImpago.MEDIO), key=_ORDEN_NIVEL.__getitem__)
        motivos_impago.append(
            f"Paga más tarde: sus {tendencia.recientes} últimos pagos tardaron de media "
            f"{texto_dias(un_decimal(tendencia.media_reciente))}, "
            f"{texto_dias(tendencia.diferencia)} más que antes "
            f"({texto_dias(un_decimal(tendencia.media_anterior))})"
        )
    score, motivos_perdida = riesgo_perdida_modelo(
        prediccion,
        estado=estado,
        compras=len(compras),
        dias_desde_ultima_compra=dias_desde_compra,
        frecuencia=frecuencia,
    )
    recompra = prediccion is not None and estado != EstadoCliente.CLIENTE_PERDIDO

    def esperados(dias_ventana: int) -> Decimal:
        habitual = Decimal(0)
        if recompra and prediccion is not None:
            habitual = (
                prediccion.ingresos_esperados_30_dias
                if dias_ventana == 30
                else prediccion.ingresos_esperados_90_dias
            )
        return dinero(habitual + ingresos_oportunidades(oportunidades_abiertas, hoy, dias_ventana))

    return Salud(
        ltv_lifetime_value=figuras.ltv,
        monto_promedio_factura=figuras.monto_promedio,
        dias_promedio_para_pagar=pago.dias_promedio_para_pagar,
        porcentaje_pagos_a_tiempo=pago.porcentaje_pagos_a_tiempo,
        factura_pagada_mas_antigua=figuras.pagada_mas_antigua,
        factura_impagada_mas_antigua=figuras.impagada_mas_antigua,
        frecuencia_compra_dias=frecuencia,
        meses_como_cliente=meses_entre(compras[0], hoy) if compras else None,
        fecha_proxima_factura_esperada=(
            prediccion.fecha_proxima_compra if recompra and prediccion else None
        ),
        ingresos_esperados_30_dias=esperados(30),
        ingresos_esperados_90_dias=esperados(90),
        riesgo_impago_nivel=nivel_impago,
        riesgo_perdida_score=score,
        dias_sin_actividad=dias_sin_actividad,
        numero_actividades_ultimos_30_dias=recientes,
        ultima_interaccion=ultima_interaccion,
        salud_general=salud_general(nivel_impago, score, estado=estado),
        motivos=[*motivos_impago, *motivos_perdida],
        facturas_vencidas=pago.facturas_vencidas,
        importe_vencido=pago.importe_vencido,
        probabilidad_activo=prediccion.probabilidad_activo if prediccion else None,
        compras_esperadas_90_dias=(
            prediccion.compras_esperadas_90_dias if recompra and prediccion else None
        ),
        fecha_segun_cadencia=(
            desplazar(compras[-1], frecuencia) if frecuencia is not None else None
        ),
        fecha_primera_compra=compras[0] if compras else None,
        fecha_ultima_compra=compras[-1] if compras else None,
        dias_desde_ultima_compra=dias_desde_compra,
        tendencia_pago=tendencia,
        motivos_impago=motivos_impago,
        motivos_perdida=motivos_perdida,
        importe_pendiente=pago.importe_pendiente,
        saldo_a_favor=figuras.saldo_a_favor,
        antiguedad_deuda=pago.antiguedad_deuda,
        dso_dias=pago.dso_dias,
        dias_medios_de_retraso=pago.dias_medios_de_retraso,
        probabilidad_pago_tardio=pago.probabilidad_pago_tardio,
    )


# ---------------------------------------------------------------- lifecycle and VIP


def calcular_estado(
    *,
    estado_actual: str,
    ultima_compra: date | None,
    hoy: date,
    dias_dormido: int,
    en_top_ltv: bool,
    compra_nueva: bool = False,
) -> str:
    """Lifecycle state of contract §4. cliente_perdido stays until a new purchase makes the
    client active again: one within `dias_dormido` days (an old invoice loaded by the
    backfill is new to the CRM, but it does not bring a lost client back as dormant)."""
    dormido = ultima_compra is not None and (hoy - ultima_compra).days > dias_dormido
    if estado_actual == EstadoCliente.CLIENTE_PERDIDO and (
        not compra_nueva or ultima_compra is None or dormido
    ):
        return str(EstadoCliente.CLIENTE_PERDIDO)
    if ultima_compra is None:
        return str(EstadoCliente.PROSPECTO)
    if dormido:
        return str(EstadoCliente.CLIENTE_DORMIDO)
    return str(EstadoCliente.VIP if en_top_ltv else EstadoCliente.CLIENTE_ACTIVO)


def umbral_vip(ltvs_de_compradores: Sequence[Decimal]) -> Decimal | None:
    """LTV of the k-th best buyer, k = max(1, ⌊10 % of buyers⌋); None when nobody bought."""
    compradores = sorted((v for v in ltvs_de_compradores if v > 0), reverse=True)
    if not compradores:
        return None
    k = max(1, len(compradores) * 10 // 100)
    return compradores[k - 1]


def es_top_ltv(ltv: Decimal, umbral: Decimal | None) -> bool:
    """Within the VIP threshold: a buyer whose LTV reaches it (ties included)."""
    return umbral is not None and ltv > 0 and ltv >= umbral
