"""The benchmark of issue #6: prints a markdown table and writes bench/RESULTS.md.

    python bench/run.py --scale 10000          # `make bench`
    python bench/run.py --scale 100000         # `make bench SCALE=100000`

R2 compares `--scale` with `--base` (1000). SQLite files live in a temporary directory
(or in `--cache`, to reuse generated data between runs); PostgreSQL gets fresh databases
that are dropped at the end.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import json
import os
import platform
import random
import shutil
import sqlite3
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import generate
import httpx
from driver import API_KEY, WEBHOOK_SECRET, Peticion, Resultado, cargar, crm_env, servidor
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

BENCH = Path(__file__).resolve().parent
PG_ADMIN_URL = os.environ.get(
    "CRM_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
AUTH = (("Authorization", f"Bearer {API_KEY}"),)
CONEXIONES = 16


# --- requests -----------------------------------------------------------------------------


def get(path: str) -> Peticion:
    return Peticion("GET", path, headers=AUTH)


def peticiones_360(clientes: int, n: int = 1000) -> list[Peticion]:
    rng = random.Random(360)
    return [get(f"/api/clientes/{generate.cliente_id(rng.randrange(clientes))}") for _ in range(n)]


def peticiones_lista() -> list[Peticion]:
    return [
        get(f"/api/clientes/?estado=cliente_activo&sector={s}&ordenar_por=ltv&orden=desc&limit=50")
        for s in generate.SECTORES
    ] + [get("/api/clientes/?estado=cliente_activo&ordenar_por=ltv&orden=desc&limit=50")]


def peticiones_busqueda() -> list[Peticion]:
    palabras = ("norte", "logistica", "energia", "textil", "optica", "galaica", "agricola")
    return [get(f"/api/clientes/?q={p}&limit=50") for p in palabras]


def peticiones_alertas() -> list[Peticion]:
    return [get("/api/alertas")] + [
        get(f"/api/alertas?severidad={s}") for s in ("critica", "alta", "media", "baja")
    ]


def firmar(msg_id: str, timestamp: int, cuerpo: bytes) -> str:
    clave = base64.b64decode(WEBHOOK_SECRET.removeprefix("whsec_"))
    mac = hmac.new(clave, f"{msg_id}.{timestamp}.".encode() + cuerpo, hashlib.sha256).digest()
    return "v1," + base64.b64encode(mac).decode()


def eventos_firmados(clientes: int, n: int, etiqueta: str) -> list[Peticion]:
    """`n` signed `factura.emitida` events of new invoices, for random clients."""
    rng = random.Random(etiqueta)
    hoy = datetime.now(UTC).date().isoformat()
    ahora = int(time.time())
    peticiones = []
    for i in range(n):
        factura_id = f"bench-{etiqueta}-{i}"
        cuerpo = json.dumps(
            {
                "tipo": "factura.emitida",
                "factura": {
                    "id": factura_id,
                    "numero": f"B/{etiqueta}/{i}",
                    "cliente_id": generate.cliente_id(rng.randrange(clientes)),
                    "fecha_emision": hoy,
                    "fecha_vencimiento": None,
                    "base_imponible": "1000.00",
                    "total": "1210.00",
                    "moneda": "EUR",
                },
            }
        ).encode()
        msg_id = f"msg_{uuid.UUID(int=rng.getrandbits(128)).hex}"
        headers = (
            ("Content-Type", "application/json"),
            ("webhook-id", msg_id),
            ("webhook-timestamp", str(ahora)),
            ("webhook-signature", firmar(msg_id, ahora, cuerpo)),
        )
        peticiones.append(Peticion("POST", "/api/webhooks/facturas", cuerpo.decode(), headers))
    return peticiones


# --- databases ----------------------------------------------------------------------------


@dataclass
class Datos:
    """Where the generated data of one scale live, and how long generating them took."""

    url: str
    generacion_s: float | None


def sqlite_pristine(directorio: Path, clientes: int) -> Datos:
    hoy = datetime.now(UTC).date()
    path = directorio / f"crm-v{generate.VERSION}-{clientes}-{hoy:%Y%m%d}.db"
    if path.exists():
        return Datos(f"sqlite:///{path}", None)
    tmp = path.with_suffix(".tmp.db")
    for sobra in directorio.glob(tmp.name + "*"):
        sobra.unlink()
    segundos = generate.generar(f"sqlite:///{tmp}", clientes, hoy=hoy)
    with sqlite3.connect(tmp) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    tmp.rename(path)
    for sobra in directorio.glob(tmp.name + "*"):
        sobra.unlink()
    return Datos(f"sqlite:///{path}", segundos)


def sqlite_copia(pristine: Datos, destino: Path) -> str:
    for sobra in destino.parent.glob(destino.name + "*"):
        sobra.unlink()
    shutil.copyfile(make_url(pristine.url).database or "", destino)
    return f"sqlite:///{destino}"


@contextmanager
def postgres(nombre: str) -> Iterator[str]:
    """A fresh PostgreSQL database, dropped on the way out."""
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{nombre}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{nombre}"'))
        yield make_url(PG_ADMIN_URL).set(database=nombre).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{nombre}" WITH (FORCE)'))
        admin.dispose()


def contar_eventos(url: str) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(text("SELECT count(*) FROM webhook_eventos")).scalar_one())
    finally:
        engine.dispose()


# --- measurements -------------------------------------------------------------------------


@dataclass
class Medidas:
    scale: int
    base: int
    segundos: float
    driver: str = ""
    generacion: dict[str, float | None] = field(default_factory=dict)
    recalcular: dict[int, float] = field(default_factory=dict)
    latencias: dict[tuple[str, int], Resultado] = field(default_factory=dict)
    r1: dict[str, Resultado] = field(default_factory=dict)
    r3: dict[tuple[str, int], tuple[Resultado, int]] = field(default_factory=dict)
    recalcular_pg: float | None = None
    rss_mb: float = 0.0
    notas: list[str] = field(default_factory=list)


R2_ENDPOINTS: dict[str, Callable[[], list[Peticion]]] = {
    "lista (estado+sector, por ltv)": peticiones_lista,
    "búsqueda q": peticiones_busqueda,
    "/api/alertas": peticiones_alertas,
    "/api/dashboard": lambda: [get("/api/dashboard")],
}


def log(mensaje: str) -> None:
    print(f"[{datetime.now():%H:%M:%S}] {mensaje}", flush=True)


def recalcular(base_url: str) -> float:
    inicio = time.perf_counter()
    response = httpx.post(
        base_url + "/api/salud/recalcular",
        headers={"Authorization": f"Bearer {API_KEY}"},
        timeout=3600,
    )
    response.raise_for_status()
    return time.perf_counter() - inicio


def medir_webhooks(
    m: Medidas, backend: str, url: str, base_url: str, clientes: int, python: bool
) -> None:
    for conexiones in (1, CONEXIONES):
        antes = contar_eventos(url)
        eventos = eventos_firmados(clientes, 30_000, f"{backend}-{conexiones}")
        r = cargar(
            base_url, eventos, conexiones=conexiones, segundos=m.segundos, forzar_python=python
        )
        procesados = contar_eventos(url) - antes
        m.r3[(backend, conexiones)] = (r, procesados)
        tasa = procesados / r.seconds
        log(f"R3 {backend} c={conexiones}: {tasa:.1f} events/s ({r.non2xx} non-2xx)")


def medir(args: argparse.Namespace, trabajo: Path) -> Medidas:
    m = Medidas(scale=args.scale, base=args.base, segundos=args.seconds)
    datos_dir = Path(args.cache) if args.cache else trabajo
    datos_dir.mkdir(parents=True, exist_ok=True)
    logs = trabajo / "server.log"
    python = args.python_driver

    with servidor("bare:app", {}, logs) as bare:
        cargar(bare.url, [get("/ok")], conexiones=CONEXIONES, segundos=2, forzar_python=python)
        m.r1["bare"] = cargar(
            bare.url, [get("/ok")], conexiones=CONEXIONES, segundos=m.segundos, forzar_python=python
        )
        m.driver = m.r1["bare"].driver
        log(f"R1 bare: {m.r1['bare'].rps:.0f} req/s")

    for clientes in sorted({args.base, args.scale}):
        log(f"SQLite, {clientes} clientes: generating (or reusing)")
        pristine = sqlite_pristine(datos_dir, clientes)
        m.generacion[f"sqlite {clientes}"] = pristine.generacion_s
        url = sqlite_copia(pristine, trabajo / f"work-{clientes}.db")
        with servidor("smartbilling_crm.main:app", crm_env(url), logs) as crm:
            m.recalcular[clientes] = recalcular(crm.url)
            log(f"R4 recalcular {clientes}: {m.recalcular[clientes]:.1f} s")
            for nombre, peticiones in R2_ENDPOINTS.items():
                r = cargar(
                    crm.url, peticiones(), conexiones=1, segundos=m.segundos, forzar_python=python
                )
                m.latencias[(nombre, clientes)] = r
                log(f"R2 {nombre} @ {clientes}: p95 {r.p95_ms:.1f} ms ({r.non2xx} !2xx)")
            if clientes == args.scale:
                m.r1["360"] = cargar(
                    crm.url,
                    peticiones_360(clientes),
                    conexiones=CONEXIONES,
                    segundos=m.segundos,
                    forzar_python=python,
                )
                log(f"R1 360: {m.r1['360'].rps:.0f} req/s ({m.r1['360'].non2xx} !2xx)")
                medir_webhooks(m, "sqlite", url, crm.url, clientes, python)
                m.rss_mb = crm.peak_rss_mb()
                log(f"R5 peak RSS: {m.rss_mb:.0f} MB")

    if not args.skip_postgres:
        nombre = f"crm_bench_{uuid.uuid4().hex[:8]}"
        with postgres(nombre) as url:
            log(f"PostgreSQL, {args.scale} clientes: generating")
            m.generacion[f"postgresql {args.scale}"] = generate.generar(url, args.scale)
            with servidor("smartbilling_crm.main:app", crm_env(url), logs) as crm:
                # As on SQLite: the events arrive at a portfolio recomputed at least once
                # (the daily cron), so the stored VIP threshold exists.
                m.recalcular_pg = recalcular(crm.url)
                log(f"recalcular postgresql {args.scale}: {m.recalcular_pg:.1f} s")
                medir_webhooks(m, "postgresql", url, crm.url, args.scale, python)
    return m


# --- report -------------------------------------------------------------------------------


def maquina() -> str:
    memoria = "?"
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            memoria = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    cpu = platform.processor() or "?"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    return f"{os.cpu_count()} cores ({cpu}), {memoria} RAM, {platform.platform()}"


def _si(ok: bool) -> str:
    return "**yes**" if ok else "**no**"


def informe(m: Medidas) -> str:
    r1 = m.r1["360"].rps / m.r1["bare"].rps if m.r1["bare"].rps else 0.0
    filas = [
        "| figure | measured | goal | met |",
        "|---|---|---|---|",
        f"| R1 client 360 ÷ bare endpoint (req/s, {CONEXIONES} connections) | "
        f"{m.r1['360'].rps:.0f} ÷ {m.r1['bare'].rps:.0f} = **{r1:.2f}** | ≥ 0.5 | "
        f"{_si(r1 >= 0.5)} |",
    ]
    for nombre in R2_ENDPOINTS:
        grande, pequeno = m.latencias[(nombre, m.scale)], m.latencias[(nombre, m.base)]
        ratio = grande.p95_ms / pequeno.p95_ms if pequeno.p95_ms else 0.0
        filas.append(
            f"| R2 p95 {nombre}, {m.scale:,} ÷ {m.base:,} clients | {grande.p95_ms:.1f} ÷ "
            f"{pequeno.p95_ms:.1f} ms = **{ratio:.2f}** | ≤ 1.5 | {_si(ratio <= 1.5)} |"
        )
    objetivo = 0.5 * m.r1["360"].rps
    for (backend, conexiones), (r, procesados) in m.r3.items():
        tasa = procesados / r.seconds
        modo = "sequential" if conexiones == 1 else f"{conexiones} concurrent"
        filas.append(
            f"| R3 webhook events/s, {backend}, {modo} | **{tasa:.0f}** "
            f"({tasa / m.r1['360'].rps:.0%} of R1's 360 rate) | ≥ {objetivo:.0f} | "
            f"{_si(tasa >= objetivo)} |"
        )
    segundos = m.recalcular[m.scale]
    filas.append(
        f"| R4 `recalcular`, {m.scale:,} clients | {segundos:.1f} s = "
        f"**{m.scale / segundos:.0f} clients/s** | 100k in < 20 s (≥ 5000/s) | "
        f"{_si(m.scale / segundos >= 5000)} |"
    )
    filas.append(
        f"| R5 peak server RSS (SQLite run at {m.scale:,}) | **{m.rss_mb:.0f} MB** | < 300 MB | "
        f"{_si(m.rss_mb < 300)} |"
    )

    detalle = [
        "| measurement | driver | conns | requests | req/s | p50 ms | p95 ms | p99 ms | non-2xx |",
        "|---|---|---|---|---|---|---|---|---|",
    ]

    def fila(nombre: str, r: Resultado, conexiones: int) -> None:
        detalle.append(
            f"| {nombre} | {r.driver} | {conexiones} | {r.requests} | {r.rps:.1f} | "
            f"{r.p50_ms:.2f} | {r.p95_ms:.2f} | {r.p99_ms:.2f} | {r.non2xx + r.errors} |"
        )

    fila("bare `async` endpoint", m.r1["bare"], CONEXIONES)
    fila(f"client 360 @ {m.scale:,}", m.r1["360"], CONEXIONES)
    for (nombre, clientes), r in sorted(m.latencias.items(), key=lambda kv: (kv[0][0], kv[0][1])):
        fila(f"{nombre} @ {clientes:,}", r, 1)
    for (backend, conexiones), (r, procesados) in m.r3.items():
        fila(f"webhook {backend} @ {m.scale:,} ({procesados} processed)", r, conexiones)
    generacion = ", ".join(
        f"{k}: {v:.0f} s" if v is not None else f"{k}: reused" for k, v in m.generacion.items()
    )
    recalculos = ", ".join(
        f"{c:,} clients: {s:.1f} s ({c / s:.0f}/s)" for c, s in sorted(m.recalcular.items())
    )
    return "\n".join(
        [
            f"## Run of {datetime.now(UTC):%Y-%m-%d %H:%M} UTC — {m.scale:,} clients",
            "",
            f"- Machine: {maquina()}",
            f"- Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}; "
            f"driver `{m.driver}` (1 thread), {m.segundos:.0f} s per measurement; "
            "server: uvicorn, 1 worker, no access log",
            "- Data per client: 3 contacts, 20 activities, 2 opportunities, 12 invoices "
            f"(generator v{generate.VERSION}, seed 6). Generation: {generacion}",
            f"- `recalcular` (POST /api/salud/recalcular, SQLite): {recalculos}"
            + (
                f"; PostgreSQL, {m.scale:,} clients (before R3): {m.recalcular_pg:.1f} s"
                if m.recalcular_pg
                else ""
            ),
            "- R1, R2, R4 and R5 on SQLite (the default database); R3 on "
            + (
                "both."
                if any(b == "postgresql" for b, _ in m.r3)
                else "SQLite only (--skip-postgres)."
            ),
            "",
            *filas,
            "",
            "### Every figure",
            "",
            *detalle,
            *(["", *m.notas] if m.notas else []),
            "",
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=10_000)
    parser.add_argument("--base", type=int, default=1_000)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--cache", help="keep generated SQLite databases here and reuse them")
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument("--python-driver", action="store_true", help="ignore wrk")
    parser.add_argument("--out", default=str(BENCH / "RESULTS.md"))
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="crm-bench-") as tmp:
        m = medir(args, Path(tmp))
    cuerpo = informe(m)
    print(cuerpo)
    analisis = BENCH / "ANALYSIS.md"
    partes = [
        "# Benchmark results (issue #6)\n",
        "Written by `make bench` (`bench/run.py`); the analysis below it is kept by hand in "
        "`bench/ANALYSIS.md`.\n",
        cuerpo,
    ]
    if analisis.exists():
        partes.append(analisis.read_text())
    Path(args.out).write_text("\n".join(partes))
    print(f"written {args.out}")


if __name__ == "__main__":
    main()
