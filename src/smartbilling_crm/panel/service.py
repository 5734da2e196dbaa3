"""What each panel page shows, assembled from the features' services (never their
repositories), so every figure and rule is the API's own. Plus the panel's own write:
putting an alert off for a few days."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta

from smartbilling_crm.actividades import service as actividades_service
from smartbilling_crm.actividades.schemas import ActividadCreate, ActividadRead, ActividadUpdate
from smartbilling_crm.cartera import service as cartera_service
from smartbilling_crm.cartera.schemas import AlertaCartera, Dashboard, Pipeline
from smartbilling_crm.clientes import service as clientes_service
from smartbilling_crm.clientes.schemas import ClienteRead
from smartbilling_crm.dominio import TIPOS_CON_REFERENCIA, Severidad, TipoActividad, TipoAlerta
from smartbilling_crm.facturacion import service as facturacion_service
from smartbilling_crm.kit import formato
from smartbilling_crm.kit import repository as base_repo
from smartbilling_crm.kit.contexto import Contexto
from smartbilling_crm.kit.excepciones import InvalidInputError, NotFoundError
from smartbilling_crm.models.usuario import CLAVE_MAX
from smartbilling_crm.oportunidades import service as oportunidades_service
from smartbilling_crm.oportunidades.schemas import OportunidadRead
from smartbilling_crm.panel import graficos
from smartbilling_crm.panel import repository as panel_repo
from smartbilling_crm.salud import service as salud_service
from smartbilling_crm.salud.schemas import RecomendacionesRead

ALERTAS_LEIDAS = 200
ALERTAS_MOSTRADAS = 40
DIAS_POSPONER = (1, 7, 30)
DIAS_TRAS_HECHO = 7
TIMELINE_PAGINA = 20
TIPOS_ALERTA = frozenset(t.value for t in TipoAlerta)


@dataclass
class Hoy:
    dashboard: Dashboard
    alertas: list[AlertaCartera]
    pospuestas: int
    total_alertas: int
    acciones: dict[str, list[str]] = field(default_factory=dict)
    # Alerts past the first `ALERTAS_MOSTRADAS`, not put off: how many (at most that many
    # when the portfolio has more than `ALERTAS_LEIDAS`, of which only those were read: the
    # rest are counted whether put off or not).
    sin_mostrar: int = 0
    sin_mostrar_como_mucho: bool = False


def hoy(ctx: Contexto) -> Hoy:
    """The portfolio at a glance and what to do today, most severe first, without the
    alerts put off until a later day."""
    tablero = cartera_service.dashboard(ctx)
    lista = cartera_service.listar_alertas(
        ctx.session, severidad=None, tipo=None, skip=0, limit=ALERTAS_LEIDAS
    )
    ocultas = panel_repo.pospuestas_vigentes(ctx.session, ctx.hoy)

    def pospuesta(a: AlertaCartera) -> bool:
        # The alert, by what it is about; by its text (snoozes made before alerts named
        # it, until they expire); or the whole type (older still).
        claves = (clave(a.tipo, a.mensaje, a.referencia_id), clave(a.tipo, a.mensaje), "")
        for llave in ((a.cliente_id, a.tipo, c) for c in dict.fromkeys(claves)):
            if llave in ocultas:
                rango = ocultas[llave]
                # Put off at some severity: a more urgent one is news, shown again.
                return rango is None or a.severidad.rango >= rango
        return False

    visibles = [a for a in lista.alertas if not pospuesta(a)]
    mostradas = visibles[:ALERTAS_MOSTRADAS]
    clientes = list(dict.fromkeys(a.cliente_id for a in mostradas))
    return Hoy(
        dashboard=tablero,
        alertas=mostradas,
        acciones=salud_service.acciones_sugeridas(ctx, clientes),
        pospuestas=len(lista.alertas) - len(visibles),
        total_alertas=lista.total,
        sin_mostrar=len(visibles) - len(mostradas) + (lista.total - len(lista.alertas)),
        sin_mostrar_como_mucho=lista.total > len(lista.alertas),
    )


# The alert types a client can have several of at once, one per invoice, task or deal:
# putting one off must leave the others (and those that come later) on Hoy. The rest a
# client has once at most, so the type is the alert.
VARIAS_POR_CLIENTE = TIPOS_CON_REFERENCIA
# A stored alert of those types names what it is about (`referencia_id`), except those
# stored before it did, until the client's next refresh: their key is their text without
# the day count, which a day changes: always the text's last words before its full stop
# (`salud.reglas`: "…, hace 45 días.", "… (hace 3 días).", "… desde hace 20 días."); a
# title that says "hoy" or "hace 2 días" stays as it is.
_CUENTA_DE_DIAS = re.compile(r"(?:,? hace \d+ días?| \(hace \d+ días?\))(?=\.$)")


def clave(tipo: str, mensaje: str, referencia_id: str | None = None) -> str:
    """What tells an alert from the client's other alerts of its type, day after day:
    "#" and the id of the invoice, task or deal it is about; without one, its text without
    the day count; empty for a type a client has once."""
    if tipo not in VARIAS_POR_CLIENTE:
        return ""
    if referencia_id:
        return f"#{referencia_id}"  # a rule's text never starts so
    return _CUENTA_DE_DIAS.sub("", mensaje.strip())[:CLAVE_MAX]


def posponer(
    ctx: Contexto,
    cliente_id: str,
    tipo: str,
    dias: int,
    mensaje: str = "",
    severidad: str = "",
    referencia_id: str = "",
) -> date:
    """Hide this alert of this client from Hoy for `dias` days, unless it becomes more
    urgent than `severidad`: it shows again on the day returned (1 day: tomorrow; 7: the
    same weekday next week). What tells it from the client's other alerts of the type:
    `referencia_id`, else its text `mensaje`; without either, the whole type."""
    if dias not in DIAS_POSPONER:
        raise InvalidInputError("Solo se puede posponer 1, 7 o 30 días", field="dias")
    _tipo_de_alerta(tipo)
    _texto_de_alerta(mensaje)
    _referencia(referencia_id)
    base_repo.asegurar_cliente(ctx.session, cliente_id)
    vuelve = ctx.hoy + timedelta(days=dias)
    rango = Severidad(severidad).rango if severidad in set(Severidad) else None
    llave = clave(tipo, mensaje, referencia_id)
    # Stored as the last day it is hidden: "1 día" hid it through tomorrow as well.
    panel_repo.posponer(ctx.session, cliente_id, tipo, llave, vuelve - timedelta(days=1), rango)
    return vuelve


def _texto_de_alerta(mensaje: str) -> None:
    """The alert's text a Hoy form sends back, refused as any text of the API with U+0000
    (it reached the task's model unchecked: a 500)."""
    if "\x00" in mensaje:
        raise InvalidInputError(
            "El texto de la alerta no puede contener el carácter nulo (U+0000)", field="mensaje"
        )


def _referencia(referencia_id: str) -> None:
    """The id a Hoy form sends back: an id of the API (at most 64 characters)."""
    if len(referencia_id) > 64 or "\x00" in referencia_id:
        raise InvalidInputError("Referencia de la alerta no válida", field="referencia_id")


def _tipo_de_alerta(tipo: str) -> None:
    """Only an alert Hoy can show can be put off: another value hides nothing."""
    if tipo not in TIPOS_ALERTA:
        raise InvalidInputError("Tipo de alerta no válido", field="tipo")


# Alerts about the client's record in the CRM, not about the relationship: what was done
# about them (a contact added, the tax id checked) is no interaction with the client, and a
# timeline entry would count as one (contract §8), ending its silence and the "inactividad"
# and stalled-deal alerts with it.
ALERTAS_DE_LA_FICHA = frozenset(
    {
        TipoAlerta.SIN_CONTACTO_PRINCIPAL,
        TipoAlerta.SIN_CONTACTO_FINANCIERO,
        TipoAlerta.CIF_NIF_INVALIDO,
    }
)


def hecho(
    ctx: Contexto,
    cliente_id: str,
    tipo: str,
    mensaje: str,
    severidad: str = "",
    referencia_id: str = "",
) -> ActividadRead | None:
    """ "Done": a completed task in the client's timeline, and the alert rests a week; for
    an alert about the client's record (`ALERTAS_DE_LA_FICHA`), only the rest (None)."""
    _tipo_de_alerta(tipo)
    _texto_de_alerta(mensaje)
    _referencia(referencia_id)
    if not mensaje.strip():
        # The task's title says what was done: "Hecho:" alone tells the timeline nothing.
        raise InvalidInputError("Falta el texto de la alerta", field="mensaje")
    if tipo in ALERTAS_DE_LA_FICHA:
        posponer(ctx, cliente_id, tipo, DIAS_TRAS_HECHO, mensaje, severidad, referencia_id)
        return None
    if tipo == TipoAlerta.TAREA_VENCIDA and (
        tarea := _tarea_vencida(ctx, cliente_id, mensaje, referencia_id)
    ):
        # The overdue task itself is what was done: completed, not a second task beside it
        # (the pending one kept the alert coming back a week later).
        if not tarea.completada:
            tarea = actividades_service.actualizar(
                ctx, cliente_id, tarea.id, ActividadUpdate(completada=True)
            )
        posponer(ctx, cliente_id, tipo, DIAS_TRAS_HECHO, mensaje, severidad, referencia_id)
        return tarea
    titulo = f"Hecho: {mensaje.strip()}"
    if len(titulo) > 200:
        titulo = titulo[:199] + "…"
    actividad = actividades_service.crear(
        ctx,
        cliente_id,
        ActividadCreate(tipo=TipoActividad.TAREA, titulo=titulo, completada=True),
    )
    posponer(ctx, cliente_id, tipo, DIAS_TRAS_HECHO, mensaje, severidad, referencia_id)
    return actividad


def _tarea_vencida(
    ctx: Contexto, cliente_id: str, mensaje: str, referencia_id: str
) -> ActividadRead | None:
    """The task an overdue-task alert is about: by its id (`referencia_id`); for an alert
    stored before alerts named it, the pending task its text names
    (`reglas.venta.regla_tarea_vencida`: its title and due day), the oldest if two match,
    among the client's first `ALERTAS_LEIDAS` pending tasks, None if none matches. A task
    deleted since (by its id) is a `NotFoundError`."""
    base_repo.asegurar_cliente(ctx.session, cliente_id)
    if referencia_id:
        try:
            tarea = actividades_service.obtener(ctx.session, cliente_id, referencia_id)
        except NotFoundError:
            # Deleted since the page was read (its alert went with it): nothing was done
            # to it, and a "Hecho:" entry would record a task that no longer exists.
            raise NotFoundError("La tarea de esta alerta ya no existe") from None
        return tarea if tarea.tipo == TipoActividad.TAREA else None
    pendientes, _ = actividades_service.listar(
        ctx.session, cliente_id, skip=0, limit=ALERTAS_LEIDAS, tipo="tarea", pendientes=True
    )
    tz = ctx.settings.tz
    for tarea in sorted(pendientes, key=lambda t: (t.fecha, t.id)):
        dia = formato.fecha(tarea.fecha.astimezone(tz).date())
        if mensaje.startswith(f"La tarea «{tarea.titulo}» venció el {dia} "):
            return tarea
    return None


def completar_tarea(
    ctx: Contexto, cliente_id: str, actividad_id: str, resultado: str | None
) -> ActividadRead:
    """The timeline's "Completar": only a task is completed. An invoice's or a payment's
    entry gets the API's own refusal (the invoice hook keeps it); any other activity
    (a call, an email...) has nothing to complete, and saying "Tarea completada" of it
    would be false."""
    actividad = actividades_service.obtener(ctx.session, cliente_id, actividad_id)
    tipo = actividad.tipo
    if tipo != TipoActividad.TAREA and tipo not in actividades_service.TIPOS_DEL_SISTEMA:
        articulo = "un" if tipo == TipoActividad.EMAIL else "una"
        raise InvalidInputError(
            f"Solo se pueden completar las tareas: esta actividad es {articulo} {tipo}",
            field="tipo",
        )
    cambio = ActividadUpdate(completada=True, resultado=resultado)
    return actividades_service.actualizar(ctx, cliente_id, actividad_id, cambio)


@dataclass
class Ficha:
    cliente: ClienteRead
    timeline: list[ActividadRead]
    hay_mas: bool
    recomendaciones: RecomendacionesRead
    facturado: graficos.Barras
    cobros: graficos.Cobros
    contactos_por_id: dict[str, str] = field(default_factory=dict)
    pagina: int = 0  # the timeline's page shown (an old link past the end: its last)


def ficha(
    ctx: Contexto, cliente_id: str, *, tipo: str | None, pendientes: bool, pagina: int
) -> Ficha:
    """The client 360 with its timeline page, recommendations and the two charts."""
    cliente = clientes_service.obtener_360(ctx, cliente_id)

    def pagina_del_historial(pagina: int) -> tuple[list[ActividadRead], int]:
        return actividades_service.listar(
            ctx.session,
            cliente_id,
            skip=pagina * TIMELINE_PAGINA,
            limit=TIMELINE_PAGINA,
            tipo=tipo,
            pendientes=pendientes,
        )

    timeline, total = pagina_del_historial(pagina)
    if pagina > 0 and not timeline:  # past the end, as the client list: its last page
        pagina = max(0, total - 1) // TIMELINE_PAGINA
        timeline, total = pagina_del_historial(pagina)
    recomendaciones = salud_service.recomendaciones(ctx, cliente_id)
    facturas = facturacion_service.de_cliente(ctx.session, cliente_id, con_cobros=False)
    return Ficha(
        cliente=cliente,
        timeline=timeline,
        hay_mas=(pagina + 1) * TIMELINE_PAGINA < total,
        recomendaciones=recomendaciones,
        facturado=graficos.facturado_por_mes(facturas, ctx.hoy),
        cobros=graficos.dias_de_cobro(facturas, ctx.hoy),
        contactos_por_id={c.id: c.nombre_completo for c in cliente.contactos},
        pagina=pagina,
    )


@dataclass
class PipelineVista:
    resumen: Pipeline
    por_etapa: dict[str, list[tuple[OportunidadRead, str]]]


def pipeline(ctx: Contexto) -> PipelineVista:
    """Every stage with its figures and its open opportunities."""
    resumen = cartera_service.pipeline(ctx)
    por_etapa: dict[str, list[tuple[OportunidadRead, str]]] = {e.estado: [] for e in resumen.etapas}
    for oportunidad, nombre in oportunidades_service.abiertas_de_cartera(ctx.session):
        por_etapa.setdefault(oportunidad.estado, []).append((oportunidad, nombre))
    return PipelineVista(resumen=resumen, por_etapa=por_etapa)
