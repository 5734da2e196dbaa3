"""The demo portfolio: about 30 Spanish companies built so every state and alert appears.

Everything goes through the project's own services (clients, contacts, activities,
opportunities, the invoice backfill), so the demo obeys the same rules as real data.
Dates are relative to "today", so the states and alerts appear whatever the day it runs;
every random choice comes from a generator seeded with the client's id, so two runs on
the same day build the same portfolio. Clients are created with fixed ids and a client
that already exists is skipped: running the demo twice duplicates nothing.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from stdnum.es import cif as es_cif

from smartbilling_crm.actividades import service as actividades_service
from smartbilling_crm.actividades.schemas import ActividadCreate
from smartbilling_crm.clientes import service as clientes_service
from smartbilling_crm.clientes.schemas import ClienteCreate, ClienteUpdate
from smartbilling_crm.config import Settings
from smartbilling_crm.contactos import service as contactos_service
from smartbilling_crm.contactos.schemas import ContactoCreate
from smartbilling_crm.facturacion import service as facturas_service
from smartbilling_crm.facturacion.schemas import FacturaIn
from smartbilling_crm.kit.contexto import Contexto
from smartbilling_crm.kit.excepciones import ConflictError
from smartbilling_crm.kit.validators import fold
from smartbilling_crm.oportunidades import service as oportunidades_service
from smartbilling_crm.oportunidades.schemas import OportunidadCreate
from smartbilling_crm.ops.demo_cartera import (
    APELLIDOS,
    CARTERA,
    CIUDADES,
    COMERCIALES,
    DIAS_VENCIMIENTO,
    IVA,
    NOMBRES,
    PREFIJO_ID,
    Empresa,
    rol_de,
)
from smartbilling_crm.salud import recalculo


@dataclass
class ResultadoDemo:
    creados: int = 0
    existentes: int = 0
    omitidos: list[str] = field(default_factory=list)  # "id: why"


def _cif(empresa: Empresa) -> str:
    """A CIF (or an autónomo's NIF) with a right check digit; a wrong one for the
    legacy-data client."""
    rng = random.Random(f"cif:{empresa.slug}")
    _, provincia, _ = CIUDADES[empresa.ciudad]
    if empresa.tamano == "autónomo":
        numero = f"{rng.randint(10_000_000, 79_999_999)}"
        letra = "TRWAGMYFPDXBNJZSQVHLCKE"[int(numero) % 23]
        return numero + letra
    letra = "A" if empresa.nombre.endswith("S.A.") else "B"
    cuerpo = f"{letra}{provincia}{rng.randint(0, 99_999):05d}"
    control = es_cif.calc_check_digits(cuerpo)[0]
    if empresa.cif_erroneo:
        control = str((int(control) + 3) % 10)
    return cuerpo + control


def _telefono(rng: random.Random, prefijo: str) -> str:
    resto = "".join(str(rng.randint(0, 9)) for _ in range(9 - len(prefijo)))
    numero = prefijo + resto
    return f"+34 {numero[:3]} {numero[3:6]} {numero[6:]}"


def _movil(rng: random.Random) -> str:
    return f"+34 6{rng.randint(10, 99)} {rng.randint(100, 999)} {rng.randint(100, 999)}"


def _dominio(empresa: Empresa) -> str:
    return empresa.slug + ".es"


def _persona(rng: random.Random, dominio: str, usados: set[str]) -> tuple[str, str]:
    while True:
        nombre = rng.choice(NOMBRES)
        apellidos = f"{rng.choice(APELLIDOS)} {rng.choice(APELLIDOS)}"
        email = f"{fold(nombre)}.{fold(apellidos.split()[0])}@{dominio}"
        if email not in usados:
            usados.add(email)
            return f"{nombre} {apellidos}", email


def _importe(rng: random.Random, minimo: int, maximo: int) -> Decimal:
    return Decimal(rng.randint(minimo * 100, maximo * 100)) / 100


def _total(base: Decimal) -> Decimal:
    return (base * IVA).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _retraso_pago(empresa: Empresa, rng: random.Random, desde_el_final: int) -> int | None:
    """Days from issue to payment of the invoice `desde_el_final` places from the newest;
    None = not paid."""
    if empresa.perfil == "moroso" and desde_el_final <= 2:
        return None  # the oldest of them is 45 days past due: critical risk
    if empresa.perfil == "empeora":
        if desde_el_final == 0:
            return None
        if desde_el_final <= 3:
            return (38, 42, 40)[desde_el_final - 1]  # the last three, a month later than before
        return rng.randint(5, 12)
    return rng.randint(5, 28)


def _fechas_compra(empresa: Empresa, rng: random.Random, hoy: date) -> list[date]:
    assert empresa.historial is not None
    primera, ultima, cadencia, _, _ = empresa.historial
    fechas: list[date] = []
    dias = ultima
    while dias <= primera:
        # The newest invoices keep their exact cadence: the payment stories depend on it.
        jitter = rng.randint(-3, 3) if len(fechas) >= 4 else 0
        fechas.append(hoy - timedelta(days=max(1, dias + jitter)))
        dias += cadencia
    return sorted(fechas)


@dataclass(frozen=True)
class _Plan:
    empresa: Empresa
    facturas: list[dict[str, Any]]


def _planificar_facturas(empresa: Empresa, hoy: date) -> list[dict[str, Any]]:
    """The client's invoice history, without numbers (numbered across the portfolio)."""
    if empresa.historial is None:
        return []
    rng = random.Random(f"facturas:{empresa.slug}")
    _, _, _, minimo, maximo = empresa.historial
    fechas = _fechas_compra(empresa, rng, hoy)
    facturas = []
    for posicion, emision in enumerate(fechas):
        desde_el_final = len(fechas) - 1 - posicion
        base = _importe(rng, minimo, maximo)
        retraso = _retraso_pago(empresa, rng, desde_el_final)
        pago = emision + timedelta(days=retraso) if retraso is not None else None
        if pago is not None and pago > hoy:
            pago = None  # not paid yet, and not due either (delays stay under the due date)
        facturas.append(
            {
                "id": f"{PREFIJO_ID}{empresa.slug}-{posicion + 1:03d}",
                "cliente_id": PREFIJO_ID + empresa.slug,
                "fecha_emision": emision,
                "fecha_vencimiento": emision + timedelta(days=DIAS_VENCIMIENTO),
                "base_imponible": base,
                "total": _total(base),
                "fecha_pago": pago,
                # One cancelled invoice in a long history, as in real ledgers.
                "anulada": posicion == 3 and empresa.perfil == "activo" and len(fechas) > 12,
            }
        )
    return facturas


def _numerar(planes: list[_Plan]) -> None:
    """Invoice numbers `AAAA/NNNN`, consecutive per year across the whole portfolio."""
    todas = sorted(
        (f for plan in planes for f in plan.facturas), key=lambda f: (f["fecha_emision"], f["id"])
    )
    contador: dict[int, int] = {}
    for factura in todas:
        year = factura["fecha_emision"].year
        contador[year] = contador.get(year, 0) + 1
        factura["numero"] = f"{year}/{contador[year]:04d}"


def _instante(settings: Settings, dia: date, hora: int, minuto: int = 0) -> datetime:
    return datetime.combine(dia, time(hora, minuto), tzinfo=settings.tz)


class _Constructor:
    """Builds one company through the services."""

    def __init__(self, ctx: Contexto, plan: _Plan) -> None:
        self.ctx = ctx
        self.settings = ctx.settings
        self.hoy = ctx.hoy
        self.empresa = plan.empresa
        self.facturas = plan.facturas
        self.rng = random.Random(f"cliente:{plan.empresa.slug}")
        self.id = PREFIJO_ID + plan.empresa.slug
        self.contactos: dict[str, str] = {}  # role -> contact id
        self.comercial = COMERCIALES[sum(map(ord, plan.empresa.slug)) % len(COMERCIALES)]

    def dia(self, dias_atras: int) -> date:
        return self.hoy - timedelta(days=dias_atras)

    def cliente(self) -> None:
        e = self.empresa
        comunidad, _, prefijo = CIUDADES[e.ciudad]
        primer_contacto = (e.historial[0] + 30) if e.historial else self.rng.randint(10, 120)
        datos = {
            "id": self.id,
            "nombre_empresa": e.nombre,
            "email": f"administracion@{_dominio(e)}",
            "telefono": _telefono(self.rng, prefijo),
            "direccion": f"Calle {self.rng.choice(APELLIDOS)} {self.rng.randint(1, 120)}, "
            f"{e.ciudad}",
            "cif_nif": _cif(e),
            "sector_industria": e.sector,
            "tamaño_empresa": e.tamano,
            "segmento": "pyme" if e.tamano in ("pequeña", "mediana") else e.tamano,
            "comunidad_autonoma": comunidad,
            "ciudad": e.ciudad,
            "numero_empleados": e.empleados,
            "web_empresa": f"https://www.{_dominio(e)}",
            "margen_promedio": Decimal(self.rng.randint(1200, 3800)) / 100,
            "fecha_primer_contacto": _instante(self.settings, self.dia(primer_contacto), 10),
            "notas": f"Cliente de demostración ({e.perfil.replace('_', ' ')}).",
        }
        clientes_service.registrar(self.ctx, ClienteCreate.model_validate(datos))

    def contacto(self, rol: str, *, principal: bool = False, financiero: bool = False) -> str:
        nombre, email = _persona(self.rng, _dominio(self.empresa), set(self.contactos.values()))
        creado = contactos_service.crear(
            self.ctx,
            self.id,
            ContactoCreate(
                nombre_completo=nombre,
                rol=rol_de(rol, nombre),
                email=email,
                telefono=_movil(self.rng),
                es_contacto_principal=principal,
                es_contacto_financiero=financiero,
            ),
        )
        self.contactos[rol] = creado.id
        return creado.id

    def actividad(
        self,
        tipo: str,
        titulo: str,
        dias_atras: int,
        *,
        rol: str | None = None,
        descripcion: str | None = None,
        completada: bool = True,
        minutos: int | None = None,
        resultado: str | None = None,
    ) -> None:
        datos = {
            "tipo": tipo,
            "titulo": titulo,
            "descripcion": descripcion,
            "fecha": _instante(self.settings, self.dia(dias_atras), self.rng.randint(9, 17)),
            "duración_minutos": minutos,
            "responsable": self.comercial,
            "contacto_id": self.contactos.get(rol) if rol else None,
            "completada": completada,
            "resultado": resultado,
        }
        actividades_service.crear(self.ctx, self.id, ActividadCreate.model_validate(datos))

    def oportunidad(
        self, proyecto: str, importe: int, estado: str, cierre_en_dias: int, **extra: Any
    ) -> str:
        datos = {
            "nombre_proyecto": proyecto,
            "descripcion": extra.pop("descripcion", None),
            "monto_estimado": Decimal(importe),
            "estado": estado,
            "fecha_cierre_estimada": _instante(
                self.settings, self.hoy + timedelta(days=cierre_en_dias), 12
            ),
            "contacto_responsable_id": self.contactos.get("Director general")
            or next(iter(self.contactos.values()), None),
            **extra,
        }
        return oportunidades_service.crear(
            self.ctx, self.id, OportunidadCreate.model_validate(datos)
        ).id

    def historial_facturas(self) -> None:
        if self.facturas:
            facturas_service.importar(
                self.ctx, [FacturaIn.model_validate(f) for f in self.facturas]
            )


def _contactos(c: _Constructor) -> None:
    perfil, tamano = c.empresa.perfil, c.empresa.tamano
    if perfil == "dormido_sin_contactos":
        return  # nobody to call: the "no principal contact" alert
    if tamano == "autónomo":
        c.contacto("Titular", principal=True, financiero=True)
        return
    c.contacto("Director general", principal=True)
    if perfil != "activo_cif_erroneo":  # one client without anyone for payments
        c.contacto("Directora financiera" if c.rng.random() < 0.5 else "Contable", financiero=True)
    if tamano in ("mediana", "grande"):
        c.contacto("Responsable de compras")


def _actividades_habituales(c: _Constructor, ultima: int) -> None:
    """A year of ordinary timeline: a yearly meeting, calls and emails, the last `ultima`
    days ago."""
    c.actividad(
        "reunión",
        "Reunión anual de seguimiento",
        ultima + 200,
        rol="Director general",
        minutos=60,
        descripcion="Repaso del año y previsión de pedidos.",
        resultado="Satisfechos con el servicio",
    )
    c.actividad("email", "Envío de tarifas actualizadas", ultima + 60, rol="Responsable de compras")
    c.actividad(
        "llamada",
        "Llamada de seguimiento",
        ultima,
        rol="Director general",
        minutos=15,
        resultado="Todo en orden",
    )


def _construir_historia(c: _Constructor) -> None:
    """The activities and opportunities that make the profile's alerts appear."""
    perfil = c.empresa.perfil
    if perfil == "vip":
        _actividades_habituales(c, 3)
        c.oportunidad(
            "Ampliación del contrato marco 2026", 85_000, "negociación", 25,
            descripcion="Renovación con más obras y condiciones de volumen",
        )  # fmt: skip
        c.actividad(
            "videollamada", "Revisión del contrato marco", 2, rol="Director general", minutos=45
        )
        c.actividad("tarea", "Preparar propuesta económica del contrato marco", -5,
                    rol="Director general", completada=False)  # fmt: skip
    elif perfil == "vip_dormido":
        _actividades_habituales(c, 70)
    elif perfil == "activo_oportunidad_ganada":
        _actividades_habituales(c, 8)
        c.oportunidad("Suministro de envases temporada de cosecha", 18_000, "ganada", -2)
        c.oportunidad("Mantenimiento anual de maquinaria", 9_500, "presupuesto", 30)
    elif perfil == "activo_estancado":
        _actividades_habituales(c, 20)
        # Estimated close three weeks ago and nobody has called: a stalled opportunity.
        c.oportunidad("Cámara frigorífica nueva en lonja", 32_000, "negociación", -21)
    elif perfil == "activo_tarea_vencida":
        _actividades_habituales(c, 6)
        c.actividad("tarea", "Enviar catálogo de eventos de empresa para Navidad", 10,
                    rol="Director general", completada=False)  # fmt: skip
    elif perfil == "moroso":
        _actividades_habituales(c, 12)
        c.actividad("email", "Recordatorio de facturas pendientes", 9, rol="Contable")
    elif perfil == "empeora":
        _actividades_habituales(c, 5)
    elif perfil in ("activo", "activo_cif_erroneo", "nuevo"):
        _actividades_habituales(c, c.rng.randint(2, 12))
    elif perfil.startswith("dormido"):
        if c.contactos:
            _actividades_habituales(c, c.rng.randint(60, 150))
    elif perfil == "perdido":
        _actividades_habituales(c, 240)
        perdida = c.oportunidad("Renovación de material de oficina", 6_000, "negociación", -230)
        oportunidades_service.marcar_perdida(
            c.ctx, perdida, "Se ha ido a la competencia por precio"
        )
    elif perfil.startswith("prospecto"):
        _prospecto(c)


_ETAPAS_PROSPECTO: dict[str, tuple[str, str, int, int]] = {
    "prospecto_identificada": ("identificada", "Primer proyecto piloto", 12_000, 90),
    "prospecto_contactado": ("contactado", "Migración desde su proveedor actual", 24_000, 60),
    "prospecto_presupuesto": ("presupuesto", "Implantación en las tres sedes", 40_000, 40),
    "prospecto_negociacion": ("negociación", "Contrato anual de servicios", 55_000, 15),
}


def _prospecto(c: _Constructor) -> None:
    c.actividad("llamada", "Primera llamada de presentación", 20, rol="Director general",
                minutos=20, resultado="Interesados, piden más información")  # fmt: skip
    etapa = _ETAPAS_PROSPECTO.get(c.empresa.perfil)
    if etapa is None:
        return
    estado, proyecto, importe, cierre = etapa
    c.oportunidad(proyecto, importe, estado, cierre)
    c.actividad("propuesta", f"Propuesta: {proyecto}", 4, rol="Director general")


ProgresoDemo = Callable[[int, int], None]


def construir(
    ctx: Contexto,
    *,
    progreso: ProgresoDemo | None = None,
) -> ResultadoDemo:
    """Create the demo portfolio (skipping clients already there), then recompute everyone."""
    hoy = ctx.now.astimezone(ctx.settings.tz).date()
    planes = [_Plan(e, _planificar_facturas(e, hoy)) for e in CARTERA]
    _numerar(planes)
    resultado = ResultadoDemo()
    for hecho, plan in enumerate(planes, start=1):
        if clientes_service.existe(ctx.session, PREFIJO_ID + plan.empresa.slug):
            resultado.existentes += 1
        else:
            c = _Constructor(ctx, plan)
            try:
                c.cliente()
            except ConflictError as exc:
                # Someone's own client already uses this email or CIF: leave theirs alone.
                resultado.omitidos.append(f"{c.id}: {exc.detail}")
            else:
                _contactos(c)
                c.historial_facturas()
                _construir_historia(c)
                if plan.empresa.perfil == "perdido":
                    clientes_service.modificar(
                        ctx, c.id, ClienteUpdate.model_validate({"estado": "cliente_perdido"})
                    )
                resultado.creados += 1
        if progreso is not None:
            progreso(hecho, len(planes))
    # VIP thresholds and states depend on the whole portfolio: settle them once at the end.
    ctx.confirmar()  # the touched clients first, so the recompute sees their LTVs
    recalculo.recalcular_en_sesion(ctx.session, ctx.settings, ctx.now)
    return resultado
