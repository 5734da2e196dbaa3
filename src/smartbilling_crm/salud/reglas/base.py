"""The rules' vocabulary: facts about one client, findings, thresholds and who to talk to."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cached_property

from smartbilling_crm.salud.motor.hechos import (
    FacturaHecho,
    OportunidadHecho,
    Salud,
)

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
    # What the alert is about, for the types a client can have several of: the invoice's,
    # the task's or the deal's id (`models.AlertaCliente.referencia_id`).
    referencia_id: str | None = None


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
    # Of its ledger, what the rules read: the invoices overdue (`cobros.facturas_vencidas`)
    # and whether some live invoice is to be paid (`metricas.FigurasLibro`).
    vencidas: Sequence[FacturaHecho]
    de_cobro: bool
    contactos: Sequence[ContactoHecho]
    oportunidades_abiertas: Sequence[OportunidadHecho]
    tareas_pendientes: Sequence[TareaHecho]
    ultima_actividad: date | None  # Madrid date of the newest activity up to now
    hoy: date

    # Who to talk to, picked once per client: half the rules name someone.
    @cached_property
    def contacto_de_ventas(self) -> ContactoHecho | None:
        """The principal contact, else None."""
        principales = [c for c in self.contactos if c.es_contacto_principal]
        return ordenados(principales)[0] if principales else None

    @cached_property
    def contacto_de_cobros(self) -> ContactoHecho | None:
        """The financial contact, else the principal one."""
        financieros = [c for c in self.contactos if c.es_contacto_financiero]
        return ordenados(financieros)[0] if financieros else self.contacto_de_ventas


# ---------------------------------------------------------------- who to talk to


def nombre(contacto: ContactoHecho) -> str:
    rol = contacto.rol.strip()
    return f"{contacto.nombre_completo} ({rol})" if rol else contacto.nombre_completo


def ordenados(contactos: Sequence[ContactoHecho]) -> list[ContactoHecho]:
    return sorted(contactos, key=lambda c: (not c.es_contacto_principal, c.nombre_completo, c.id))


def contacto_cobros(ctx: ContextoCliente) -> ContactoHecho | None:
    """Who to chase payments with: the financial contact, else the principal one."""
    return ctx.contacto_de_cobros


def contacto_comercial(ctx: ContextoCliente) -> ContactoHecho | None:
    """Who to talk business with: the principal contact, else None."""
    return ctx.contacto_de_ventas


def en_frase(motivos: Sequence[str]) -> str:
    """Reasons joined mid-sentence: 'x; y', each starting lower-case as Spanish wants."""
    return "; ".join(m[:1].lower() + m[1:] for m in motivos)


def punto(frase: str) -> str:
    """End a sentence once, even when it ends in 'S.L.'."""
    return frase if frase.endswith(".") else f"{frase}."


def a_quien(contacto: ContactoHecho | None, ctx: ContextoCliente) -> str:
    return nombre(contacto) if contacto is not None else ctx.nombre_empresa
