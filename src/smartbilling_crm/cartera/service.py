"""The portfolio at a glance: alerts across clients, the dashboard and the pipeline."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy.orm import Session

from smartbilling_crm.cartera import repository as cartera_repo
from smartbilling_crm.cartera.schemas import (
    AlertaCartera,
    AlertaList,
    AlertasPorSeveridad,
    AntiguedadDeuda,
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
from smartbilling_crm.salud.motor.hechos import PERDIDA_MEDIO

CLIENTES_EN_RIESGO = 5  # the dashboard's clients most at risk: at most this many,
# from the churn score's medio band up (PERDIDA_MEDIO, 30): a client at 7/100 is not at risk
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
                referencia_id=r.referencia_id,
            )
            for r in rows
        ],
    )


def dashboard(ctx: Contexto) -> Dashboard:
    """Portfolio figures from the running totals; health-based ones are as of the last
    recompute."""
    hoy = ctx.now.astimezone(ctx.settings.tz).date()
    hasta = hoy + timedelta(days=DIAS_PROXIMAS)
    return _dashboard(
        ctx,
        hoy,
        cartera_repo.cifras(ctx.session),
        cartera_repo.antiguedad_deuda(ctx.session, hoy),
        cartera_repo.contar_esperadas(ctx.session, hoy, hasta),
    )


def dashboard_completo(ctx: Contexto) -> Dashboard:
    """The dashboard from aggregates over every row: what `dashboard` must equal (the
    tests' oracle), at a cost that grows with the portfolio."""
    hoy = ctx.now.astimezone(ctx.settings.tz).date()
    hasta = hoy + timedelta(days=DIAS_PROXIMAS)
    return _dashboard(
        ctx,
        hoy,
        cartera_repo.cifras_completas(ctx.session),
        cartera_repo.antiguedad_deuda_completa(ctx.session, hoy),
        cartera_repo.contar_esperadas_completo(ctx.session, hoy, hasta),
    )


def contar_alertas_completo(
    session: Session, *, severidad: Severidad | None, tipo: str | None
) -> int:
    """The alert list's `total` as an aggregate over every alert (see `dashboard_completo`)."""
    return cartera_repo.contar_alertas_completo(session, severidad=severidad, tipo=tipo)


def _dashboard(
    ctx: Contexto,
    hoy: date,
    cifras: cartera_repo.Cifras,
    tramos: dict[str, tuple[int, Decimal]],
    n_esperadas: int,
) -> Dashboard:
    por_estado = {estado.value: 0 for estado in EstadoCliente}
    por_estado.update(cifras.por_estado)
    abierto = _pipeline_abierto(_etapas_de(cifras.etapas))
    vencidos = [v for nombre, v in tramos.items() if nombre != "no_vencido"]
    esperadas = cartera_repo.facturas_esperadas(
        ctx.session, hoy, hoy + timedelta(days=DIAS_PROXIMAS), PROXIMAS_FACTURAS
    )
    severidades = {str(s): 0 for s in Severidad.por_gravedad()}
    severidades.update(cifras.por_severidad)
    return Dashboard(
        fecha=hoy,
        clientes_por_estado=ClientesPorEstado.model_validate(por_estado),
        total_clientes=sum(por_estado.values()),
        ltv_total=cifras.ltv,
        ingresos_esperados_30_dias=cifras.ingresos_30,
        ingresos_esperados_90_dias=cifras.ingresos_90,
        pipeline=abierto,
        facturas_vencidas=FacturasVencidas(
            numero=sum(n for n, _ in vencidos), importe=sum((i for _, i in vencidos), Decimal(0))
        ),
        importe_pendiente=sum((i for _, i in tramos.values()), Decimal(0)),
        antiguedad_deuda=AntiguedadDeuda.model_validate(
            {nombre: {"facturas": n, "importe": i} for nombre, (n, i) in tramos.items()}
        ),
        clientes_en_riesgo=[
            ClienteEnRiesgo(
                cliente_id=r.id,
                nombre_empresa=r.nombre_empresa,
                estado=r.estado,
                riesgo_perdida_score=r.riesgo_perdida_score,
                riesgo_impago=r.riesgo_impago_nivel,
                salud_general=r.salud_general,
            )
            for r in cartera_repo.clientes_en_riesgo(
                ctx.session, CLIENTES_EN_RIESGO, desde=PERDIDA_MEDIO
            )
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


def _etapas(ctx: Contexto) -> list[EtapaPipeline]:
    """One row per stage, every stage present; a won stage counts its won value."""
    return _etapas_de(cartera_repo.cifras(ctx.session).etapas)


def _etapas_de(filas: list[tuple[str, int, Decimal, Decimal]]) -> list[EtapaPipeline]:
    etapas = {
        e.value: EtapaPipeline(estado=e.value, numero=0, importe=0, importe_ponderado=0)
        for e in EstadoOportunidad
    }
    for estado, numero, importe, ponderado in filas:
        etapas[estado] = EtapaPipeline(
            estado=estado, numero=numero, importe=importe, importe_ponderado=ponderado
        )
    return list(etapas.values())


def _pipeline_abierto(etapas: list[EtapaPipeline]) -> PipelineResumen:
    """The open pipeline as the sum of its stage rows, so the rows add up to it."""
    abiertas = [
        e for e in etapas if e.estado not in (EstadoOportunidad.GANADA, EstadoOportunidad.PERDIDA)
    ]
    return PipelineResumen(
        abiertas=sum(e.numero for e in abiertas),
        importe=sum((Decimal(e.importe) for e in abiertas), Decimal("0.00")),
        importe_ponderado=sum((Decimal(e.importe_ponderado) for e in abiertas), Decimal("0.00")),
    )


def pipeline(ctx: Contexto) -> Pipeline:
    """Per stage count, amount and weighted amount; weighted forecast at 30 and 90 days."""
    tz = ctx.settings.tz
    inicio = datetime.combine(ctx.now.astimezone(tz).date(), time(0, 0), tzinfo=tz)
    etapas = _etapas(ctx)
    return Pipeline(
        etapas=etapas,
        abiertas=_pipeline_abierto(etapas),
        prevision_ponderada_30_dias=cartera_repo.prevision_ponderada(
            ctx.session, inicio, inicio + timedelta(days=31)
        ),
        prevision_ponderada_90_dias=cartera_repo.prevision_ponderada(
            ctx.session, inicio, inicio + timedelta(days=91)
        ),
    )
