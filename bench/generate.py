"""Deterministic data for the benchmark, bulk-inserted through the project's own models.

Every client has 3 contacts, 20 activities, 2 opportunities and 12 monthly invoices, about
nine in ten paid (each with its payment row, as the webhook records it) and the rest open
(`pendiente` = total), the ledger `facturacion.libro.liquidar` would derive. The data
depend only on the seed, the client index and `hoy` (dates are relative to it, so the
health engine sees a live portfolio on the day of the run).

    python bench/generate.py --url sqlite:////tmp/crm.db --clientes 10000
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, insert

from smartbilling_crm.kit.db import create_db_engine, is_sqlite, migrate
from smartbilling_crm.kit.validators import clave_nombre, clave_sector, fold
from smartbilling_crm.models import Actividad, Cliente, Cobro, Contacto, Factura, Oportunidad

VERSION = 3  # bump when the generated data change (cached databases are keyed by it)
LOTE = 2000  # clients per transaction

PALABRAS = [
    "Talleres",
    "Norte",
    "Sur",
    "Levante",
    "Cántabro",
    "Ibérica",
    "Mediterráneo",
    "Atlántico",
    "Castilla",
    "Aragón",
    "Galaica",
    "Logística",
    "Ingeniería",
    "Soluciones",
    "Servicios",
    "Distribuciones",
    "Construcciones",
    "Consultores",
    "Digital",
    "Energía",
    "Alimentación",
    "Textil",
    "Químicas",
    "Metalúrgica",
    "Transportes",
    "Hostelería",
    "Farmacia",
    "Óptica",
    "Muebles",
    "Gráficas",
    "Agrícola",
]
FORMAS = ("S.L.", "S.A.", "S.L.U.", "S.Coop.")
SECTORES = ("technology", "retail", "manufacturing", "services", "construction", "health")
TAMANOS = ("autónomo", "pequeña", "mediana", "grande")
ESTADOS = ("cliente_activo",) * 17 + ("prospecto", "cliente_dormido", "cliente_perdido")
TIPOS_ACTIVIDAD = ("llamada", "email", "reunión", "videollamada", "tarea", "nota", "propuesta")
ESTADOS_OPORTUNIDAD = ("identificada", "contactado", "presupuesto", "negociación", "ganada")
ROLES = ("Gerente", "Contable", "Compras", "Dirección técnica")
CIF_LETRAS = "JABCDEFGHI"


def cif(numero: int) -> str:
    """A valid Spanish CIF (letter B) for a 7-digit number."""
    digits = f"{numero:07d}"
    pares = sum(int(d) for d in digits[1::2])
    impares = sum(sum(divmod(int(d) * 2, 10)) for d in digits[0::2])
    control = (10 - (pares + impares) % 10) % 10
    return f"B{digits}{control}"


def cliente_id(indice: int) -> str:
    return f"cli{indice:07d}"


def _instante(dia: date, rng: random.Random) -> datetime:
    hora, minuto = rng.randint(7, 19), rng.randint(0, 59)
    return datetime(dia.year, dia.month, dia.day, hora, minuto, tzinfo=UTC)


def filas_cliente(seed: int, indice: int, hoy: date) -> dict[str, list[dict[str, Any]]]:
    """The rows of one client: a pure function of (seed, index, hoy)."""
    rng = random.Random(f"{seed}:{indice}")
    cid = cliente_id(indice)
    nombre = f"{rng.choice(PALABRAS)} {rng.choice(PALABRAS)} {indice} {rng.choice(FORMAS)}"
    email = f"info{indice}@cliente{indice % 997}.es"
    nif = cif(indice)
    alta = datetime.combine(hoy - timedelta(days=rng.randint(400, 1500)), datetime.min.time(), UTC)

    facturas = []
    cobros: list[dict[str, Any]] = []
    ultima = hoy - timedelta(days=rng.randint(0, 120))
    for n in range(12):
        emision = ultima - timedelta(days=30 * (11 - n) + rng.randint(0, 5))
        base = Decimal(rng.randint(10_000, 500_000)) / 100
        vence = emision + timedelta(days=30)
        pagada = rng.random() < 0.9
        pago = emision + timedelta(days=rng.randint(5, 60)) if pagada else None
        if pago is not None and pago > hoy:
            pago = None
        total = (base * Decimal("1.21")).quantize(Decimal("0.01"))
        anulada = rng.random() < 0.02
        factura_id = f"{cid}-f{n:02d}"
        # The ledger as the webhook leaves it (`facturacion.libro.liquidar`): a paid
        # invoice has its payment and owes nothing, an unpaid one owes its total, a
        # cancelled one owes nothing and has no settlement date.
        if anulada:
            pago = None
        if pago is not None:
            cobros.append(
                {
                    "cobro_id": f"{factura_id}-p",
                    "factura_id": factura_id,
                    "cliente_id": cid,
                    "fecha": pago,
                    "importe": total,
                    "devuelto": False,
                    "fecha_creacion": alta,
                    "fecha_actualizacion": alta,
                }
            )
        facturas.append(
            {
                "factura_id": factura_id,
                "cliente_id": cid,
                "numero": f"{emision.year}/{indice:07d}{n:02d}",
                "fecha_emision": emision,
                "fecha_vencimiento": vence,
                "base_imponible": base,
                "total": total,
                "moneda": "EUR",
                "fecha_pago": pago,
                "anulada": anulada,
                "pendiente": total if pago is None and not anulada else Decimal("0.00"),
                "fecha_creacion": alta,
                "fecha_actualizacion": alta,
            }
        )
    vivas = [f for f in facturas if not f["anulada"]]
    compras = sorted(f["fecha_emision"] for f in vivas)
    cliente = {
        "id": cid,
        "nombre_empresa": nombre,
        "email": email,
        "telefono": f"+34 91 {indice % 1000:03d} {indice % 10000:04d}",
        "direccion": f"Calle {rng.choice(PALABRAS)} {rng.randint(1, 200)}, Madrid",
        "cif_nif": nif,
        "cif_nif_valido": True,
        "estado": rng.choice(ESTADOS),
        "sector_industria": rng.choice(SECTORES),
        "tamano_empresa": rng.choice(TAMANOS),
        "riesgo_impago": "bajo",
        "ltv": sum((f["base_imponible"] for f in vivas), Decimal("0.00")),
        "fecha_primer_contacto": alta,
        "fecha_primera_compra": compras[0] if compras else None,
        "fecha_ultima_compra": compras[-1] if compras else None,
        "busqueda": " ".join(fold(p) for p in (nombre, email, nif)),
        "fecha_creacion": alta,
        "fecha_actualizacion": alta + timedelta(seconds=rng.randint(0, 10_000_000)),
    }
    cliente["sector_plegado"] = clave_sector(cliente["sector_industria"])
    cliente["nombre_orden"] = clave_nombre(cliente["nombre_empresa"])
    contactos = [
        {
            "id": f"{cid}-c{n}",
            "cliente_id": cid,
            "nombre_completo": f"Persona {n} de {indice}",
            "rol": ROLES[n],
            "email": f"p{n}.{indice}@cliente{indice % 997}.es",
            "es_contacto_principal": n == 0,
            "es_contacto_financiero": n == 1,
            "fecha_creacion": alta,
        }
        for n in range(3)
    ]
    actividades = []
    for n in range(20):
        tipo = rng.choice(TIPOS_ACTIVIDAD)
        cuando = _instante(hoy - timedelta(days=rng.randint(0, 365)), rng)
        actividades.append(
            {
                "id": f"{cid}-a{n:02d}",
                "cliente_id": cid,
                "tipo": tipo,
                "titulo": f"{tipo.capitalize()} {n}",
                "descripcion": "Seguimiento del cliente",
                "fecha": cuando,
                "duracion_minutos": rng.choice((None, 15, 30, 60)),
                "responsable": "Comercial",
                "contacto_id": contactos[n % 3]["id"],
                "completada": tipo != "tarea" or rng.random() < 0.7,
                "fecha_creacion": cuando,
            }
        )
    oportunidades = []
    for n in range(2):
        estado = rng.choice(ESTADOS_OPORTUNIDAD)
        monto = Decimal(rng.randint(1_000, 60_000))
        cierre = _instante(hoy + timedelta(days=rng.randint(-30, 120)), rng)
        ganada = estado == "ganada"
        oportunidades.append(
            {
                "id": f"{cid}-o{n}",
                "cliente_id": cid,
                "nombre_proyecto": f"Proyecto {n} de {indice}",
                "monto_estimado": monto,
                "estado": estado,
                "probabilidad_cierre": 100 if ganada else rng.randint(10, 90),
                "fecha_cierre_estimada": cierre,
                "fecha_cierre_real": cierre - timedelta(days=40) if ganada else None,
                "valor_ganado": monto if ganada else None,
                "fecha_creacion": alta,
                "fecha_actualizacion": alta,
            }
        )
    return {
        "clientes": [cliente],
        "contactos": contactos,
        "actividades": actividades,
        "oportunidades": oportunidades,
        "facturas": facturas,
        "cobros": cobros,
    }


TABLAS = (
    ("clientes", Cliente),
    ("contactos", Contacto),
    ("actividades", Actividad),
    ("oportunidades", Oportunidad),
    ("facturas", Factura),
    ("cobros", Cobro),
)


def lotes(seed: int, clientes: int, hoy: date) -> Iterator[dict[str, list[dict[str, Any]]]]:
    for inicio in range(0, clientes, LOTE):
        lote: dict[str, list[dict[str, Any]]] = {nombre: [] for nombre, _ in TABLAS}
        for indice in range(inicio, min(inicio + LOTE, clientes)):
            for nombre, filas in filas_cliente(seed, indice, hoy).items():
                lote[nombre].extend(filas)
        yield lote


def generar(url: str, clientes: int, *, seed: int = 6, hoy: date | None = None) -> float:
    """Migrate `url` and fill it; returns the seconds it took."""
    hoy = hoy or datetime.now(UTC).date()
    migrate(url)
    engine: Engine = create_db_engine(url)
    inicio = time.perf_counter()
    try:
        with engine.connect() as conn:
            for lote in lotes(seed, clientes, hoy):
                for nombre, modelo in TABLAS:
                    conn.execute(insert(modelo), lote[nombre])
                conn.commit()
            # PostgreSQL's autovacuum would vacuum and analyze the new rows within a minute
            # or two (steady state: statistics, and a visibility map for index-only scans);
            # SQLite is never analyzed by the service, so its planner is left as in production.
            if not is_sqlite(url):
                conn.commit()
                autocommit = conn.execution_options(isolation_level="AUTOCOMMIT")
                autocommit.exec_driver_sql("VACUUM ANALYZE")
    finally:
        engine.dispose()
    return time.perf_counter() - inicio


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help="SQLAlchemy URL of an empty database")
    parser.add_argument("--clientes", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=6)
    parser.add_argument("--hoy", type=date.fromisoformat, default=None, help="AAAA-MM-DD")
    args = parser.parse_args()
    segundos = generar(args.url, args.clientes, seed=args.seed, hoy=args.hoy)
    print(f"{args.clientes} clientes en {segundos:.1f} s")


if __name__ == "__main__":
    main()
