"""The portfolio at a glance: alerts across clients, the dashboard and the pipeline."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from sqlalchemy.orm import Session

from smartbilling_crm.cartera import repository as cartera_repo
from smartbilling_crm.cartera.schemas import (
    AlertaCartera,
    AlertaList,
    AlertasPorSeveridad,
    ClienteEnRiesgo,
    ClientesPorEstado,
    Dashboard,
    EtapaPipeline,
    FacturaEsperada,
    FacturasVencidas,
    Pipeline,
    PipelineResumen,
)
from smartbilling_crm.dominio import EstadoCliente, EstadoOportunidad, Severidad
from smartbilling_crm.kit.contexto import Contexto

CLIENTES_EN_RIESGO = 5
PROXIMAS_FACTURAS = 10
DIAS_PROXIMAS = 7


def listar_alertas(
    session: Session, *, severidad: Severidad | None, tipo: str | None, skip: int, limit: int
) -> AlertaList:
    rows, total = cartera_repo.alertas(
        session, severidad=severidad, tipo=tipo, skip=skip, limit=limit
    )
    return AlertaList(
        total=total,
        skip=skip,
        limit=limit,
        alertas=[
            AlertaCartera(
                cliente_id=r.cliente_id,
                nombre_empresa=r.nombre_empresa,
                tipo=r.tipo,
                severidad=Severidad(r.severidad),
                mensaje=r.mensaje,
            )
            for r in rows
        ],
    )


def dashboard(ctx: Contexto) -> Dashboard:
    """Portfolio figures; health-based ones are as of the last recompute."""
    hoy = ctx.now.astimezone(ctx.settings.tz).date()
    por_estado = {estado.value: 0 for estado in EstadoCliente}
    por_estado.update(cartera_repo.clientes_por_estado(ctx.session))
    ltv, r30, r90 = cartera_repo.totales_salud(ctx.session)
    abiertas, importe, ponderado = cartera_repo.pipeline_abierto(ctx.session)
    vencidas, importe_vencido = cartera_repo.facturas_vencidas(ctx.session, hoy)
    esperadas, n_esperadas = cartera_repo.facturas_esperadas(
        ctx.session, hoy, hoy + timedelta(days=DIAS_PROXIMAS), PROXIMAS_FACTURAS
    )
    severidades = {str(s): 0 for s in Severidad.por_gravedad()}
    severidades.update(cartera_repo.alertas_por_severidad(ctx.session))
    return Dashboard(
        fecha=hoy,
        clientes_por_estado=ClientesPorEstado.model_validate(por_estado),
        total_clientes=sum(por_estado.values()),
        ltv_total=ltv,
        ingresos_esperados_30_dias=r30,
        ingresos_esperados_90_dias=r90,
        pipeline=PipelineResumen(abiertas=abiertas, importe=importe, importe_ponderado=ponderado),
        facturas_vencidas=FacturasVencidas(numero=vencidas, importe=importe_vencido),
        clientes_en_riesgo=[
            ClienteEnRiesgo(
                cliente_id=r.id,
                nombre_empresa=r.nombre_empresa,
                estado=r.estado,
                riesgo_perdida_score=r.riesgo_perdida_score,
                riesgo_impago=r.riesgo_impago_nivel,
                salud_general=r.salud_general,
            )
            for r in cartera_repo.clientes_en_riesgo(ctx.session, CLIENTES_EN_RIESGO)
        ],
        facturas_esperadas_7_dias=n_esperadas,
        proximas_facturas=[
            FacturaEsperada(
                cliente_id=r.id,
                nombre_empresa=r.nombre_empresa,
                fecha_esperada=r.fecha_proxima_factura_esperada,
                importe_estimado=r.monto_promedio_factura,
            )
            for r in esperadas
        ],
        alertas_por_severidad=AlertasPorSeveridad.model_validate(severidades),
    )


def pipeline(ctx: Contexto) -> Pipeline:
    """Per stage count, amount and weighted amount; weighted forecast at 30 and 90 days."""
    tz = ctx.settings.tz
    inicio = datetime.combine(ctx.now.astimezone(tz).date(), time(0, 0), tzinfo=tz)
    etapas = {
        e.value: EtapaPipeline(estado=e.value, numero=0, importe=0, importe_ponderado=0)
        for e in EstadoOportunidad
    }
    for estado, numero, importe, ponderado in cartera_repo.pipeline_por_etapa(ctx.session):
        etapas[estado] = EtapaPipeline(
            estado=estado, numero=numero, importe=importe, importe_ponderado=ponderado
        )
    abiertas, importe, ponderado = cartera_repo.pipeline_abierto(ctx.session)
    return Pipeline(
        etapas=list(etapas.values()),
        abiertas=PipelineResumen(abiertas=abiertas, importe=importe, importe_ponderado=ponderado),
        prevision_ponderada_30_dias=cartera_repo.prevision_ponderada(
            ctx.session, inicio, inicio + timedelta(days=31)
        ),
        prevision_ponderada_90_dias=cartera_repo.prevision_ponderada(
            ctx.session, inicio, inicio + timedelta(days=91)
        ),
    )
