"""The companies of the demo portfolio: who they are and how each one buys and pays.

Spanish names, cities and sectors; each profile (`perfil`) makes a lifecycle state or an
alert appear. `demo.construir` turns them into clients through the services.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

PREFIJO_ID = "demo-"
IVA = Decimal("1.21")
DIAS_VENCIMIENTO = 30
COMERCIALES = ("Ana Ruiz", "Jorge Blanco", "Marta Iglesias")

# Province code (first two digits of a CIF) and landline prefix of each city.
CIUDADES: dict[str, tuple[str, str, str]] = {
    "Madrid": ("Comunidad de Madrid", "28", "91"),
    "Barcelona": ("Cataluña", "08", "93"),
    "Valencia": ("Comunidad Valenciana", "46", "96"),
    "Sevilla": ("Andalucía", "41", "954"),
    "Málaga": ("Andalucía", "29", "952"),
    "Bilbao": ("País Vasco", "48", "944"),
    "Zaragoza": ("Aragón", "50", "976"),
    "A Coruña": ("Galicia", "15", "981"),
    "Oviedo": ("Principado de Asturias", "33", "985"),
    "Murcia": ("Región de Murcia", "30", "968"),
    "Palma": ("Illes Balears", "07", "971"),
    "Pamplona": ("Comunidad Foral de Navarra", "31", "948"),
    "Valladolid": ("Castilla y León", "47", "983"),
    "Las Palmas de Gran Canaria": ("Canarias", "35", "928"),
}

NOMBRES = (
    "María", "Carmen", "Lucía", "Laura", "Elena", "Paula", "Marta", "Sara", "Cristina",
    "Isabel", "Antonio", "José", "Manuel", "Francisco", "David", "Javier", "Daniel",
    "Carlos", "Miguel", "Alejandro", "Pablo", "Sergio", "Raúl", "Álvaro",
)  # fmt: skip
NOMBRES_DE_MUJER = frozenset(NOMBRES[:10])
# A role as the person holding it is called: the demo's roles in both genders.
_ROLES = {
    "Director general": ("Director general", "Directora general"),
    "Directora general": ("Director general", "Directora general"),
    "Director financiero": ("Director financiero", "Directora financiera"),
    "Directora financiera": ("Director financiero", "Directora financiera"),
}


def rol_de(rol: str, nombre_completo: str) -> str:
    """`rol` in agreement with the person's first name (`Álvaro` is Director financiero,
    `Lucía` Directora general); neutral roles (Contable, Titular...) stay as they are."""
    masculino, femenino = _ROLES.get(rol, (rol, rol))
    return femenino if nombre_completo.split()[0] in NOMBRES_DE_MUJER else masculino


APELLIDOS = (
    "García", "Fernández", "González", "Rodríguez", "López", "Martínez", "Sánchez",
    "Pérez", "Gómez", "Martín", "Jiménez", "Ruiz", "Hernández", "Díaz", "Moreno",
    "Muñoz", "Álvarez", "Romero", "Alonso", "Navarro", "Torres", "Domínguez", "Vázquez",
    "Ramos", "Gil", "Serrano", "Molina", "Castro", "Ortega", "Rubio",
)  # fmt: skip


@dataclass(frozen=True)
class Empresa:
    """One demo company and the story its data must tell."""

    slug: str
    nombre: str
    sector: str
    tamano: str  # autónomo | pequeña | mediana | grande
    ciudad: str
    perfil: str  # see _PERFILES
    empleados: int
    # (first purchase, last purchase) in days before today, cadence in days, base range.
    historial: tuple[int, int, int, int, int] | None = None
    cif_erroneo: bool = False


# The portfolio. Each profile exists so a state or an alert shows up in the demo.
CARTERA: tuple[Empresa, ...] = (
    # VIP: the best buyer, monthly and punctual.
    Empresa("ebro", "Construcciones Ebro S.A.", "construcción", "grande", "Zaragoza", "vip",
            420, (745, 6, 30, 9000, 14000)),
    # A VIP that stopped buying three months ago: critical alert.
    Empresa("levante", "Hoteles Levante S.A.", "hostelería", "grande", "Valencia",
            "vip_dormido", 310, (710, 88, 30, 7000, 11000)),
    # Active regular buyers of every size and sector.
    Empresa("quirosalud", "Clínica Dental Quirós S.L.", "salud", "pequeña", "Oviedo",
            "activo", 14, (700, 12, 30, 600, 1400)),
    Empresa("tecnomur", "Tecnologías del Segura S.L.", "tecnología", "mediana", "Murcia",
            "activo", 65, (690, 20, 30, 2500, 4800)),
    Empresa("cantabrico", "Conservas Cantábrico S.A.", "alimentación", "grande", "Bilbao",
            "activo", 180, (745, 25, 45, 4000, 7500)),
    Empresa("garbi", "Logística Garbí S.L.", "logística", "mediana", "Barcelona",
            "activo", 90, (715, 5, 30, 3000, 5500)),
    Empresa("albaida", "Talleres Albaida S.L.", "automoción", "pequeña", "Valencia",
            "activo", 22, (650, 40, 60, 900, 2200)),
    Empresa("miralmar", "Inmobiliaria Miralmar S.L.", "inmobiliario", "pequeña", "Málaga",
            "activo", 11, (600, 30, 90, 1500, 3000)),
    Empresa("sierranorte", "Farmacia Sierra Norte", "salud", "autónomo", "Madrid",
            "activo", 4, (540, 9, 30, 250, 600)),
    Empresa("pinar", "Agroindustrias del Pinar S.L.", "agricultura", "mediana", "Valladolid",
            "activo_oportunidad_ganada", 75, (700, 18, 30, 1800, 3200)),
    Empresa("atlantica", "Pescados Atlántica S.L.", "alimentación", "mediana", "A Coruña",
            "activo_estancado", 55, (745, 14, 30, 2000, 4000)),
    Empresa("bahia", "Bahía Eventos S.L.", "eventos", "pequeña", "Las Palmas de Gran Canaria",
            "activo_tarea_vencida", 9, (480, 22, 45, 800, 2500)),
    Empresa("nazari", "Asesoría Nazarí S.L.", "servicios profesionales", "pequeña", "Sevilla",
            "activo", 8, (745, 3, 30, 400, 900)),
    Empresa("iruna", "Imprenta Iruña S.L.", "artes gráficas", "pequeña", "Pamplona",
            "activo_cif_erroneo", 16, (640, 27, 30, 500, 1300), cif_erroneo=True),
    # New clients, two or three invoices so far.
    Empresa("lumen", "Lumen Arquitectura S.L.P.", "arquitectura", "pequeña", "Madrid",
            "nuevo", 7, (62, 2, 30, 1200, 2600)),
    Empresa("lauramartin", "Laura Martín Diseño Gráfico", "diseño", "autónomo", "Barcelona",
            "nuevo", 1, (45, 15, 30, 300, 700)),
    # Payers in trouble.
    Empresa("mediterraneo", "Distribuciones Mediterráneo S.L.", "distribución", "mediana",
            "Palma", "moroso", 48, (600, 15, 30, 2500, 4500)),
    Empresa("cierzo", "Transportes Cierzo S.L.", "logística", "mediana", "Zaragoza",
            "empeora", 70, (600, 15, 30, 1500, 3000)),
    # Dormant: good clients that stopped buying.
    Empresa("guadalquivir", "Aceites Guadalquivir S.L.", "agricultura", "mediana", "Sevilla",
            "dormido", 40, (745, 130, 45, 1500, 3500)),
    Empresa("alhambra", "Muebles Alhambra S.L.", "comercio", "pequeña", "Málaga",
            "dormido", 12, (650, 210, 60, 700, 1800)),
    Empresa("txoko", "Txoko Restauración S.L.", "hostelería", "pequeña", "Bilbao",
            "dormido_sin_contactos", 18, (500, 95, 30, 500, 1200)),
    Empresa("gredos", "Electricidad Gredos S.L.", "construcción", "pequeña", "Madrid",
            "dormido", 10, (700, 300, 60, 900, 2000)),
    # Lost to a competitor, marked by hand.
    Empresa("tajo", "Papelería Tajo S.L.", "comercio", "pequeña", "Madrid",
            "perdido", 6, (745, 250, 30, 300, 800)),
    # Prospects: the pipeline in every open stage.
    Empresa("orbita", "Órbita Software S.L.", "tecnología", "pequeña", "Valencia",
            "prospecto_identificada", 20),
    Empresa("montseny", "Cervezas Montseny S.L.", "alimentación", "pequeña", "Barcelona",
            "prospecto_contactado", 25),
    Empresa("bierzo", "Bodegas del Bierzo S.A.", "alimentación", "mediana", "Valladolid",
            "prospecto_presupuesto", 60),
    Empresa("teide", "Renovables Teide S.L.", "energía", "mediana", "Las Palmas de Gran Canaria",
            "prospecto_negociacion", 85),
    Empresa("cibeles", "Cibeles Consultores S.L.", "servicios profesionales", "grande", "Madrid",
            "prospecto_contactado", 250),
    Empresa("navarrofisio", "Fisioterapia Navarro", "salud", "autónomo", "Pamplona",
            "prospecto", 2),
    Empresa("galaico", "Textil Galaico S.A.", "textil", "grande", "A Coruña",
            "prospecto_identificada", 380),
)  # fmt: skip
