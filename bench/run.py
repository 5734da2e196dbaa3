"""The benchmark of issues #6 and #14: prints a markdown table and writes bench/RESULTS.md.

    python bench/run.py --scale 10000          # `make bench`
    python bench/run.py --scale 100000         # `make bench SCALE=100000`
    python bench/run.py --scale 100000 --solo R1,R3 --cache /tmp/crm-bench   # a part again
    python bench/run.py --scale 100000 --solo R3,R4 --skip-sqlite            # PostgreSQL only

R1 compares the client 360 with a bare endpoint (`bare.py`) and with the same rows read by
hand (`referencia.py`); R2 compares the p95 at `--scale` with the p95 at `--base` (1000): once
both databases are recomputed, one server per scale runs at the same time and each endpoint
gets `RONDAS_R2` short rounds per scale, alternated (base, scale, base, scale…), so the
machine's drift falls on both alike; a scale's p95 is the median of its rounds' p95s. R3 sends
signed webhooks (SQLite; PostgreSQL with 1 and 4 workers); R4 times `smartbilling-crm
recalcular` on both engines, the cron's next-day run (the data generated and first recomputed
as of yesterday), alone and while webhooks arrive at `--goteo` per second; R5 reads peak RSS.
`--solo` measures only some of them (`--solo R4`, `--solo R1,R3`; the report marks the rest
"not measured"). SQLite files live in a temporary directory (or in `--cache`, to reuse
generated data between runs); PostgreSQL gets a fresh database that is dropped at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import hmac
import json
import os
import platform
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import generate
import httpx
from driver import (
    API_KEY,
    WEBHOOK_SECRET,
    Peticion,
    Resultado,
    cargar,
    crm_env,
    percentil,
    pico_rss_arbol_mb,
    servidor,
)
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from smartbilling_crm.config import Settings
from smartbilling_crm.kit.db import create_db_engine, create_session_factory
from smartbilling_crm.salud import recalculo
from smartbilling_crm.salud.procesos import procesos_por_defecto

BENCH = Path(__file__).resolve().parent
PG_ADMIN_URL = os.environ.get(
    "CRM_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
AUTH = (("Authorization", f"Bearer {API_KEY}"),)
CONEXIONES = 16
PARTES = ("R1", "R2", "R3", "R4", "R5")
WORKERS_PG = 4
# The connection budget of the 4-worker PostgreSQL run (README, `CRM_DB_MAX_CONEXIONES`):
# 40 is 10 per worker, as the default 30 is for the one-worker run.
MAX_CONEXIONES_PG = {1: 30, WORKERS_PG: 40}
# R2: rounds per scale and endpoint, alternated between the two scales' servers, and the
# unrecorded warm-up of each server before an endpoint's rounds (seconds; wrk takes whole ones).
RONDAS_R2 = 5
# R1: rounds per figure, alternated between its four servers (of `--seconds` ÷ 5, at least
# 2 s: 10 s per figure by default, as before).
RONDAS_R1 = 5
# R1: unrecorded reads of the 360's 1,000 clients before its rounds (`medir_r1`).
CALENTAR_360_S = 10
CALENTAR_R2_S = 1


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


def peticiones_lista_por_salud() -> list[Peticion]:
    """The list sorted by a health figure, each way, whole and filtered by state."""
    return [
        get(f"/api/clientes/?{filtro}ordenar_por={clave}&orden={orden}&limit=50")
        for clave in ("riesgo_perdida_score", "dias_sin_actividad")
        for orden in ("desc", "asc")
        for filtro in ("", "estado=cliente_activo&")
    ]


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


def evento_firmado(rng: random.Random, clientes: int, etiqueta: str, i: int) -> Peticion:
    """A signed `factura.emitida` event of a new invoice, for a random client, signed now."""
    ahora = int(time.time())
    cuerpo = json.dumps(
        {
            "tipo": "factura.emitida",
            "factura": {
                "id": f"bench-{etiqueta}-{i}",
                "numero": f"B/{etiqueta}/{i}",
                "cliente_id": generate.cliente_id(rng.randrange(clientes)),
                "fecha_emision": datetime.now(UTC).date().isoformat(),
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
    return Peticion("POST", "/api/webhooks/facturas", cuerpo.decode(), headers)


def eventos_firmados(clientes: int, n: int, etiqueta: str) -> list[Peticion]:
    """`n` signed `factura.emitida` events of new invoices, for random clients."""
    rng = random.Random(etiqueta)
    return [evento_firmado(rng, clientes, etiqueta, i) for i in range(n)]


# --- databases ----------------------------------------------------------------------------


@dataclass
class Datos:
    """Where the generated data of one scale live, and how long generating them took."""

    url: str
    generacion_s: float | None


# R4 times the cron's daily run: the portfolio is generated as of yesterday and recomputed
# as of this instant a day ago (`recalcular_ayer`, the first run after loading) before the
# timed CLI run of today, in which every day count moves and few states change.
UN_DIA = timedelta(days=1)


def ayer() -> date:
    return (datetime.now(UTC) - UN_DIA).date()


def sqlite_pristine(directorio: Path, clientes: int) -> Datos:
    hoy = ayer()
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


def leer_entero(path: str) -> None:
    for fichero in (Path(path), Path(path + "-wal")):
        if fichero.exists():
            with fichero.open("rb") as f:
                while f.read(1 << 24):
                    pass


def contar_eventos(url: str) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(text("SELECT count(*) FROM webhook_eventos")).scalar_one())
    finally:
        engine.dispose()


# --- measurements -------------------------------------------------------------------------


@dataclass
class Recalculo:
    """One `smartbilling-crm recalcular` (a subprocess) and the webhooks sent meanwhile."""

    segundos: float
    rss_mb: float
    enviados: int = 0
    fallos: dict[str, int] = field(default_factory=dict)  # HTTP status or error → count
    p50_ms: float = 0.0
    p99_ms: float = 0.0
    max_ms: float = 0.0
    error: str = ""  # the CLI's last stderr line when it failed

    @property
    def fallidos(self) -> int:
        return sum(self.fallos.values())


@dataclass
class Medidas:
    scale: int
    base: int
    segundos: float
    solo: frozenset[str]
    goteo: float
    driver: str = ""
    generacion: dict[str, float | None] = field(default_factory=dict)
    # `recalcular` alone, by (backend, clients); with webhooks arriving, at --scale, by backend
    recalcular: dict[tuple[str, int], Recalculo] = field(default_factory=dict)
    recalcular_carga: dict[str, Recalculo] = field(default_factory=dict)
    # the first run after loading, in process as of yesterday, by (backend, clients): seconds
    primera: dict[tuple[str, int], float] = field(default_factory=dict)
    latencias: dict[tuple[str, int], Resultado] = field(default_factory=dict)
    rondas_r2: dict[tuple[str, int], list[float]] = field(default_factory=dict)  # rounds' p95s
    rondas_r1: dict[str, list[float]] = field(default_factory=dict)  # rounds' req/s
    r1: dict[str, Resultado] = field(default_factory=dict)  # bare, referencia, 360 (twice)
    r3: dict[tuple[str, int, int], tuple[Resultado, int]] = field(default_factory=dict)
    rss_mb: dict[str, float] = field(default_factory=dict)
    arranque_cli_s: float | None = None
    notas: list[str] = field(default_factory=list)


R2_ENDPOINTS: dict[str, Callable[[], list[Peticion]]] = {
    "lista (estado+sector, por ltv)": peticiones_lista,
    "lista por riesgo / días sin actividad": peticiones_lista_por_salud,
    "búsqueda q": peticiones_busqueda,
    "/api/alertas": peticiones_alertas,
    "/api/dashboard": lambda: [get("/api/dashboard")],
}


def log(mensaje: str) -> None:
    print(f"[{datetime.now():%H:%M:%S}] {mensaje}", flush=True)


def recalcular_ayer(url: str) -> float:
    """`recalcular` in this process as of this instant 24 hours ago, with the CLI's worker
    processes: the first run after loading the portfolio (every client's state and health
    row written), so that the CLI's run that follows is the next day's. Its wall time."""
    engine = create_db_engine(url)
    try:
        inicio = time.perf_counter()
        r = recalculo.recalcular_todos(
            create_session_factory(engine),
            Settings(DATABASE_URL=url),
            datetime.now(UTC) - UN_DIA,
            procesos=procesos_por_defecto(),
            proceso_dedicado=True,
        )
        segundos = time.perf_counter() - inicio
    finally:
        engine.dispose()
    log(f"R4 first recalcular (in process, a day ago): {r.clientes} clients, {segundos:.1f} s")
    return segundos


def recalcular_cli(url: str, logs: Path) -> Recalculo:
    """`smartbilling-crm recalcular` on `url` in a subprocess: wall time and peak RSS; a
    failure is a figure too (`error`: the last line it wrote; all of it goes to `logs`)."""
    cli = Path(sys.executable).with_name("smartbilling-crm")
    inicio = time.perf_counter()
    with tempfile.TemporaryFile() as salida:
        proc = subprocess.Popen(
            [str(cli), "recalcular"],
            env={**os.environ, **crm_env(url)},
            stdout=salida,
            stderr=subprocess.STDOUT,
        )
        # Its peak RSS (and its workers'), read while it runs: a high-water mark, so only
        # growth in its last 0.1 s can be missed (`driver.pico_rss_arbol_mb`).
        pico = 0.0
        try:
            while True:
                hijo, estado = os.waitpid(proc.pid, os.WNOHANG)
                if hijo:
                    break
                pico = max(pico, pico_rss_arbol_mb(proc.pid))
                time.sleep(0.1)
        except BaseException:  # interrupted: not a recompute left running behind the bench
            proc.kill()
            proc.wait()
            raise
        segundos = time.perf_counter() - inicio
        proc.returncode = os.waitstatus_to_exitcode(estado)
        salida.seek(0)
        texto = salida.read().decode(errors="replace")
    r = Recalculo(segundos=segundos, rss_mb=pico)
    if proc.returncode:
        with logs.open("a") as fichero:
            fichero.write(f"--- smartbilling-crm recalcular exited {proc.returncode}\n{texto}\n")
        lineas = [linea.strip() for linea in texto.splitlines() if linea.strip()]
        motivo = [linea for linea in lineas if linea.startswith("Error")] or lineas[-1:]
        r.error = f"exit {proc.returncode}: " + (motivo[0][:300] if motivo else "")
        log(f"recalcular FAILED ({r.error}); its output:\n{texto[-3000:]}")
    return r


async def _goteo(
    base_url: str, clientes: int, por_segundo: float, etiqueta: str, hilo: threading.Thread
) -> tuple[list[float], dict[str, int]]:
    """Signed webhooks at a steady `por_segundo` while `hilo` runs, each sent on its own
    (a slow answer does not delay the next event); waits for every answer."""
    rng = random.Random(etiqueta)
    latencias: list[float] = []
    fallos: dict[str, int] = {}
    limits = httpx.Limits(max_connections=200, max_keepalive_connections=20)
    async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=120) as client:

        async def enviar(peticion: Peticion) -> None:
            inicio = time.perf_counter()
            try:
                response = await client.request(
                    peticion.method,
                    peticion.path,
                    content=peticion.body.encode(),
                    headers=dict(peticion.headers),
                )
            except httpx.HTTPError as error:
                clave = type(error).__name__
                fallos[clave] = fallos.get(clave, 0) + 1
                return
            latencias.append(time.perf_counter() - inicio)
            if not 200 <= response.status_code < 300:
                clave = str(response.status_code)
                fallos[clave] = fallos.get(clave, 0) + 1

        tareas: list[asyncio.Task[None]] = []
        inicio = time.perf_counter()
        while hilo.is_alive():
            peticion = evento_firmado(rng, clientes, etiqueta, len(tareas))
            tareas.append(asyncio.create_task(enviar(peticion)))
            espera = inicio + len(tareas) / por_segundo - time.perf_counter()
            await asyncio.sleep(max(0.0, espera))
        await asyncio.gather(*tareas)
    return latencias, fallos


def recalcular_con_goteo(
    url: str, base_url: str, clientes: int, por_segundo: float, etiqueta: str, logs: Path
) -> Recalculo:
    """R4: `recalcular` in a subprocess while webhooks reach the server at `base_url`."""
    hecho: list[Recalculo] = []
    errores: list[BaseException] = []

    def correr() -> None:
        try:
            hecho.append(recalcular_cli(url, logs))
        except BaseException as error:
            errores.append(error)

    hilo = threading.Thread(target=correr)
    hilo.start()
    try:
        latencias, fallos = asyncio.run(_goteo(base_url, clientes, por_segundo, etiqueta, hilo))
    finally:
        hilo.join()
    if errores:
        raise errores[0]
    r = hecho[0]
    r.enviados = len(latencias) + sum(v for k, v in fallos.items() if not k.isdigit())
    r.fallos = fallos
    r.p50_ms = percentil(latencias, 50) * 1000
    r.p99_ms = percentil(latencias, 99) * 1000
    r.max_ms = max(latencias, default=0.0) * 1000
    return r


def medir_webhooks(
    m: Medidas,
    backend: str,
    workers: int,
    url: str,
    base_url: str,
    clientes: int,
    python: bool,
    conexiones: tuple[int, ...] = (1, CONEXIONES),
) -> None:
    for n in conexiones:
        antes = contar_eventos(url)
        eventos = eventos_firmados(clientes, 30_000, f"{backend}-w{workers}-c{n}")
        r = cargar(base_url, eventos, conexiones=n, segundos=m.segundos, forzar_python=python)
        m.driver = r.driver
        procesados = contar_eventos(url) - antes
        m.r3[(backend, workers, n)] = (r, procesados)
        tasa = procesados / r.seconds
        log(
            f"R3 {backend} workers={workers} c={n}: {tasa:.1f} events/s "
            f"({r.non2xx} non-2xx, {r.errors} errors)"
        )


def _log_recalculo(etiqueta: str, r: Recalculo) -> None:
    extra = ""
    if r.enviados:
        extra = (
            f"; {r.enviados} webhooks, {r.fallidos} failed {r.fallos or ''}, "
            f"p99 {r.p99_ms:.0f} ms, max {r.max_ms:.0f} ms"
        )
    log(f"R4 recalcular {etiqueta}: {r.segundos:.1f} s, peak RSS {r.rss_mb:.0f} MB{extra}")


def segundos_ronda_r2(segundos: float) -> int:
    """One R2 round: the scale's `--seconds` split in `RONDAS_R2`, at least 2 s."""
    return max(2, round(segundos / RONDAS_R2))


def combinar_rondas(rondas: list[Resultado]) -> Resultado:
    """A figure from its rounds (R1's, or a scale's in R2): requests, seconds and failures
    summed (req/s is over all of them), each percentile the median of the rounds' values.
    A round that got no answer counts its whole length as its latency (a lower bound), not
    the driver's 0: an endpoint slower than a round must not look fast."""

    def latencia(r: Resultado, valor: float) -> float:
        return valor if r.requests else r.seconds * 1000

    return Resultado(
        requests=sum(r.requests for r in rondas),
        seconds=sum(r.seconds for r in rondas),
        errors=sum(r.errors for r in rondas),
        non2xx=sum(r.non2xx for r in rondas),
        p50_ms=statistics.median(latencia(r, r.p50_ms) for r in rondas),
        p95_ms=statistics.median(latencia(r, r.p95_ms) for r in rondas),
        p99_ms=statistics.median(latencia(r, r.p99_ms) for r in rondas),
        driver=rondas[0].driver,
    )


def medir_r1(m: Medidas, crm_url: str, url: str, clientes: int, logs: Path, python: bool) -> None:
    """R1's four figures (bare endpoint, the 360 read by hand, the client 360, the client
    360 with nothing kept) in `RONDAS_R1` rounds alternated bare, by hand, 360, 360 with
    nothing kept, bare…, the four servers up at once,
    after 2 s of unrecorded warm-up on each; a figure's rate is its rounds' requests over
    their seconds. Measured one after the other, minutes of this machine's drift fell on
    one figure and not the others (its speed moves by a third within minutes)."""
    # The database file read through first: no server pays for a cold page cache.
    leer_entero(make_url(url).database or "")
    segundos = max(2, round(m.segundos / RONDAS_R1))
    with (
        servidor("bare:app", {}, logs) as bare,
        servidor("referencia:app", crm_env(url), logs) as ref,
        # The same app with nothing kept (`CRM_CACHE_360=0`): every read builds its 360.
        servidor("smartbilling_crm.main:app", crm_env(url) | {"CRM_CACHE_360": "0"}, logs) as sin,
    ):
        objetivos = {
            "bare": (bare.url, [get("/ok")], [get("/ok")]),
            "referencia": (ref.url, peticiones_360(clientes), peticiones_360(clientes, 200)),
            "360": (crm_url, peticiones_360(clientes), peticiones_360(clientes, 200)),
            "360 sin caché": (sin.url, peticiones_360(clientes), peticiones_360(clientes, 200)),
        }
        for destino, _, calentar in objetivos.values():
            cargar(destino, calentar, conexiones=CONEXIONES, segundos=2, forzar_python=python)
        # The kept 360s' steady state: each of the 1,000 clients read once (in order, at
        # the cold read's rate of 130+ req/s), as a day's first reads would have done.
        cargar(
            crm_url,
            peticiones_360(clientes),
            conexiones=CONEXIONES,
            segundos=CALENTAR_360_S,
            forzar_python=python,
        )
        rondas: dict[str, list[Resultado]] = {nombre: [] for nombre in objetivos}
        for _ in range(RONDAS_R1):
            for nombre, (destino, peticiones, _) in objetivos.items():
                r = cargar(
                    destino,
                    peticiones,
                    conexiones=CONEXIONES,
                    segundos=segundos,
                    forzar_python=python,
                )
                rondas[nombre].append(r)
                m.driver = r.driver
        for nombre, de_nombre in rondas.items():
            m.r1[nombre] = combinar_rondas(de_nombre)
            m.rondas_r1[nombre] = [r.rps for r in de_nombre]
            log(
                f"R1 {nombre}: {m.r1[nombre].rps:.0f} req/s, rounds "
                f"{' / '.join(f'{r.rps:.0f}' for r in de_nombre)} "
                f"({sum(r.non2xx + r.errors for r in de_nombre)} !2xx)"
            )


def medir_r2(m: Medidas, app: str, urls: dict[int, str], logs: Path, python: bool) -> None:
    """R2 with the scales interleaved: one server per scale, up at the same time (each on a
    free port of its own), and per endpoint `RONDAS_R2` rounds on one connection alternated
    base, scale, base, scale…, after `CALENTAR_R2_S` of unrecorded warm-up on each. Minutes
    of the machine's drift then fall on both scales alike instead of on one."""
    orden = list(dict.fromkeys(c for c in (m.base, m.scale) if c in urls))
    segundos = segundos_ronda_r2(m.segundos)
    for clientes in orden:  # both files read through: no cold page cache in a round
        leer_entero(make_url(urls[clientes]).database or "")
    with ExitStack() as pila:
        servidores = {c: pila.enter_context(servidor(app, crm_env(urls[c]), logs)) for c in orden}
        log(
            f"R2: servers for {' and '.join(f'{c} ({servidores[c].url})' for c in orden)}, "
            f"{RONDAS_R2} alternated rounds of {segundos} s per endpoint"
        )
        for nombre, hacer in R2_ENDPOINTS.items():
            peticiones = hacer()
            for c in orden:
                cargar(
                    servidores[c].url,
                    peticiones,
                    conexiones=1,
                    segundos=CALENTAR_R2_S,
                    forzar_python=python,
                )
            rondas: dict[int, list[Resultado]] = {c: [] for c in orden}
            for _ in range(RONDAS_R2):
                for c in orden:
                    r = cargar(
                        servidores[c].url,
                        peticiones,
                        conexiones=1,
                        segundos=segundos,
                        forzar_python=python,
                    )
                    rondas[c].append(r)
                    m.driver = r.driver
            for c in orden:
                r = combinar_rondas(rondas[c])
                m.latencias[(nombre, c)] = r
                m.rondas_r2[(nombre, c)] = [
                    x.p95_ms if x.requests else x.seconds * 1000 for x in rondas[c]
                ]
                log(
                    f"R2 {nombre} @ {c}: p95 {r.p95_ms:.1f} ms, median of rounds' "
                    f"{' / '.join(f'{p95:.1f}' for p95 in m.rondas_r2[(nombre, c)])} ms "
                    f"({r.non2xx} !2xx, {r.errors} errors)"
                )
            grande, base = m.latencias.get((nombre, m.scale)), m.latencias.get((nombre, m.base))
            if grande and base and m.scale != m.base:
                log(
                    f"R2 {nombre}: {m.scale} ÷ {m.base} = "
                    f"{_cociente(grande.p95_ms, base.p95_ms):.2f}"
                )


def medir(args: argparse.Namespace, trabajo: Path) -> Medidas:
    solo = m_solo(args.solo)
    m = Medidas(
        scale=args.scale, base=args.base, segundos=args.seconds, solo=solo, goteo=args.goteo
    )
    datos_dir = Path(args.cache) if args.cache else trabajo
    datos_dir.mkdir(parents=True, exist_ok=True)
    logs = trabajo / "server.log"
    python = args.python_driver

    def carga(base_url: str, peticiones: list[Peticion], conexiones: int, s: float) -> Resultado:
        r = cargar(base_url, peticiones, conexiones=conexiones, segundos=s, forzar_python=python)
        m.driver = r.driver
        return r

    crm_app = "smartbilling_crm.main:app"
    if "R4" in solo:
        # What of R4's figure is only starting the CLI (imports), measured apart.
        inicio = time.perf_counter()
        subprocess.run(
            [str(Path(sys.executable).with_name("smartbilling-crm")), "--help"],
            capture_output=True,
            check=True,
        )
        m.arranque_cli_s = time.perf_counter() - inicio
    escalas = sorted({args.base, args.scale}) if "R2" in solo else [args.scale]
    if args.skip_sqlite:
        escalas = []
    # Every scale's database first, each recomputed once (the daily cron has run); then R2 on
    # both at once; then the rest on --scale, on the same untouched database as R2's.
    urls: dict[int, str] = {}
    for clientes in escalas:
        log(f"SQLite, {clientes} clientes: generating (or reusing)")
        pristine = sqlite_pristine(datos_dir, clientes)
        m.generacion[f"sqlite {clientes}"] = pristine.generacion_s
        url = sqlite_copia(pristine, trabajo / f"work-{clientes}.db")
        m.primera[("sqlite", clientes)] = recalcular_ayer(url)
        m.recalcular[("sqlite", clientes)] = recalcular_cli(url, logs)
        _log_recalculo(f"sqlite {clientes}", m.recalcular[("sqlite", clientes)])
        urls[clientes] = url

    if "R2" in solo and urls:
        medir_r2(m, crm_app, urls, logs, python)

    if args.scale in urls and solo & {"R1", "R3", "R4", "R5"}:
        clientes, url = args.scale, urls[args.scale]
        # The server of R1's 360, R3 and R4, whose peak RSS is R5's (not R2's servers).
        with servidor(crm_app, crm_env(url), logs) as crm:
            if "R1" in solo:
                medir_r1(m, crm.url, url, clientes, logs, python)
            elif "R3" in solo:  # R3's goal is a share of the 360's rate
                carga(crm.url, peticiones_360(clientes, 200), CONEXIONES, 2)
                m.r1["360"] = carga(crm.url, peticiones_360(clientes), CONEXIONES, m.segundos)
                r = m.r1["360"]
                log(f"R1 360: {r.rps:.0f} req/s ({r.non2xx + r.errors} !2xx)")
            if "R3" in solo:
                medir_webhooks(m, "sqlite", 1, url, crm.url, clientes, python)
                if "360" in m.r1:
                    # The 360 again, right after: R3's goal is a share of its rate, and
                    # this machine's speed drifts between measurements minutes apart.
                    m.r1["360 tras R3"] = carga(
                        crm.url, peticiones_360(clientes), CONEXIONES, m.segundos
                    )
                    log(f"R1 360 after R3: {m.r1['360 tras R3'].rps:.0f} req/s")
            if "R4" in solo:
                r4 = recalcular_con_goteo(url, crm.url, clientes, m.goteo, "sqlite-r4", logs)
                m.recalcular_carga["sqlite"] = r4
                _log_recalculo(f"sqlite {clientes} with webhooks", r4)
            m.rss_mb["server, SQLite, 1 worker"] = crm.peak_rss_mb()
            log(f"R5 peak RSS: {m.rss_mb['server, SQLite, 1 worker']:.0f} MB")

    if not args.skip_postgres and solo & {"R3", "R4"}:
        nombre = f"crm_bench_{uuid.uuid4().hex[:8]}"
        with postgres(nombre) as url:
            log(f"PostgreSQL, {args.scale} clientes: generating")
            m.generacion[f"postgresql {args.scale}"] = generate.generar(url, args.scale, hoy=ayer())
            m.primera[("postgresql", args.scale)] = recalcular_ayer(url)
            # As on SQLite: the events arrive at a portfolio recomputed at least once.
            m.recalcular[("postgresql", args.scale)] = recalcular_cli(url, logs)
            _log_recalculo(f"postgresql {args.scale}", m.recalcular[("postgresql", args.scale)])
            for workers in (1, WORKERS_PG):
                if workers > 1 and "R3" not in solo:
                    continue
                env = {
                    **crm_env(url),
                    "CRM_WORKERS": str(workers),
                    "CRM_DB_MAX_CONEXIONES": str(MAX_CONEXIONES_PG[workers]),
                }
                with servidor(crm_app, env, logs, workers=workers) as crm:
                    if "R3" in solo:
                        conexiones = (1, CONEXIONES) if workers == 1 else (CONEXIONES,)
                        if workers > 1:  # every worker up and warm before measuring
                            calentar = eventos_firmados(args.scale, 2000, f"calentar-{workers}")
                            carga(crm.url, calentar, CONEXIONES, 3)
                        medir_webhooks(
                            m, "postgresql", workers, url, crm.url, args.scale, python, conexiones
                        )
                    if workers == 1 and "R4" in solo:
                        r4 = recalcular_con_goteo(
                            url, crm.url, args.scale, m.goteo, "postgresql-r4", logs
                        )
                        m.recalcular_carga["postgresql"] = r4
                        _log_recalculo(f"postgresql {args.scale} with webhooks", r4)
                    clave = f"server, PostgreSQL, {workers} worker{'s' if workers > 1 else ''}"
                    m.rss_mb[clave] = crm.peak_rss_mb()
    texto = logs.read_text(errors="replace") if logs.exists() else ""
    if texto:
        copia = Path(tempfile.gettempdir()) / "crm-bench-server.log"
        copia.write_text(texto)
        log(f"servers' and failed CLIs' output kept in {copia}")
        m.notas += notas_del_log(texto)
    return m


def notas_del_log(texto: str) -> list[str]:
    """What went wrong on the servers' side during the whole run, from their JSON log."""
    errores: dict[str, int] = {}
    fallidas: dict[tuple[str, int], int] = {}
    trazas = 0
    for linea in texto.splitlines():
        trazas += linea.startswith("Traceback")
        if not linea.startswith("{"):
            continue
        try:
            evento = json.loads(linea)
        except ValueError:
            continue
        if evento.get("level") in ("error", "critical"):
            clave = str(evento.get("msg", "?"))[:120]
            errores[clave] = errores.get(clave, 0) + 1
        estado = evento.get("status")
        if evento.get("event") == "request" and isinstance(estado, int) and estado >= 500:
            clave2 = (str(evento.get("route")), estado)
            fallidas[clave2] = fallidas.get(clave2, 0) + 1
    notas = []
    if fallidas:
        notas.append(
            "Server answers ≥ 500 over the whole run: "
            + ", ".join(f"{n} × {e} on `{r}`" for (r, e), n in sorted(fallidas.items()))
            + "."
        )
    if errores:
        notas.append(
            "Errors the servers logged: "
            + ", ".join(f"{n} × `{msg}`" for msg, n in sorted(errores.items()))
            + (f"; {trazas} tracebacks" if trazas else "")
            + "."
        )
    return notas


def m_solo(texto: str | None) -> frozenset[str]:
    if not texto:
        return frozenset(PARTES)
    partes = frozenset(p.strip().upper() for p in texto.split(",") if p.strip())
    if desconocidas := partes - set(PARTES):
        raise SystemExit(f"--solo: unknown part(s) {', '.join(sorted(desconocidas))}")
    return partes


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


def _cociente(a: float, b: float) -> float:
    return a / b if b else 0.0


def filas_resumen(m: Medidas) -> list[str]:
    filas = ["| figure | measured | goal | met |", "|---|---|---|---|"]
    r360 = m.r1.get("360")
    if r360 and "bare" in m.r1:
        bare = m.r1["bare"]
        ratio = _cociente(r360.rps, bare.rps)
        filas.append(
            f"| R1 client 360 ÷ bare `async` endpoint (req/s, {CONEXIONES} connections) | "
            f"{r360.rps:.0f} ÷ {bare.rps:.0f} = **{ratio:.2f}** | ≥ 0.2 | {_si(ratio >= 0.2)} |"
        )
    if r360 and "referencia" in m.r1:
        ref = m.r1["referencia"]
        ratio = _cociente(r360.rps, ref.rps)
        filas.append(
            f"| R1 client 360 ÷ the same rows by hand, Core + Pydantic (`referencia.py`) | "
            f"{r360.rps:.0f} ÷ {ref.rps:.0f} = **{ratio:.2f}** | ≥ 0.67 | "
            f"{_si(ratio >= 0.67)} |"
        )
    sin = m.r1.get("360 sin caché")
    if sin and "bare" in m.r1 and "referencia" in m.r1:
        filas.append(
            f"| R1 with nothing kept (`CRM_CACHE_360=0`: every read builds its 360) ÷ bare; "
            f"÷ by hand | {sin.rps:.0f} ÷ {m.r1['bare'].rps:.0f} = "
            f"**{_cociente(sin.rps, m.r1['bare'].rps):.2f}**; ÷ {m.r1['referencia'].rps:.0f} = "
            f"**{_cociente(sin.rps, m.r1['referencia'].rps):.2f}** | (for reference) | — |"
        )
    for nombre in R2_ENDPOINTS:
        if (nombre, m.scale) not in m.latencias or (nombre, m.base) not in m.latencias:
            continue
        grande, pequeno = m.latencias[(nombre, m.scale)], m.latencias[(nombre, m.base)]
        if not grande.requests or not pequeno.requests:
            filas.append(
                f"| R2 p95 {nombre}, {m.scale:,} ÷ {m.base:,} clients | **no answer within "
                f"{RONDAS_R2 * segundos_ronda_r2(m.segundos)} s** at "
                f"{m.scale if not grande.requests else m.base:,} | "
                f"≤ 1.5 | **no** |"
            )
            continue
        ratio = _cociente(grande.p95_ms, pequeno.p95_ms)
        filas.append(
            f"| R2 p95 {nombre}, {m.scale:,} ÷ {m.base:,} clients | {grande.p95_ms:.1f} ÷ "
            f"{pequeno.p95_ms:.1f} ms = **{ratio:.2f}** | ≤ 1.5 | {_si(ratio <= 1.5)} |"
        )
    # R3's goal is half the 360's rate: the mean of its measurements before and after the
    # SQLite webhooks when both were taken (the machine drifts between them).
    tasas_360 = [m.r1[k].rps for k in ("360", "360 tras R3") if k in m.r1]
    tasa_360 = sum(tasas_360) / len(tasas_360) if tasas_360 else 0.0
    for (backend, workers, conexiones), (r, procesados) in m.r3.items():
        tasa = procesados / r.seconds
        modo = "sequential" if conexiones == 1 else f"{conexiones} concurrent"
        donde = f"{backend}, {workers} worker{'s' if workers > 1 else ''}, {modo}"
        if tasa_360:
            objetivo = 0.5 * tasa_360
            filas.append(
                f"| R3 webhook events/s, {donde} | **{tasa:.0f}** "
                f"({_cociente(tasa, tasa_360):.0%} of R1's 360 rate, "
                f"{' and '.join(f'{t:.0f}' for t in tasas_360)} req/s) | ≥ {objetivo:.0f} | "
                f"{_si(tasa >= objetivo)} |"
            )
        else:
            filas.append(f"| R3 webhook events/s, {donde} | **{tasa:.0f}** | — | — |")
    uno, varios = (
        m.r3.get(("postgresql", 1, CONEXIONES)),
        m.r3.get(("postgresql", WORKERS_PG, CONEXIONES)),
    )
    if uno and varios:
        t1, tn = uno[1] / uno[0].seconds, varios[1] / varios[0].seconds
        ratio = _cociente(tn, t1)
        filas.append(
            f"| R3 PostgreSQL events/s, {WORKERS_PG} workers ÷ 1 worker ({CONEXIONES} "
            f"concurrent) | {tn:.0f} ÷ {t1:.0f} = **{ratio:.2f}** | ≥ 2.5 | {_si(ratio >= 2.5)} |"
        )
    limite = 20 * m.scale / 100_000
    for (backend, clientes), rc in m.recalcular.items():
        if clientes != m.scale:
            continue
        if rc.error:
            filas.append(
                f"| R4 `recalcular` (CLI), {backend}, {clientes:,} clients | **failed** after "
                f"{rc.segundos:.1f} s: `{rc.error}` | 100k in < 20 s | **no** |"
            )
            continue
        filas.append(
            f"| R4 `recalcular` (CLI), the next day's run, {backend}, {clientes:,} clients | "
            f"{rc.segundos:.1f} s = **{clientes / rc.segundos:.0f} clients/s** | "
            f"100k in < 20 s (≥ 5000/s) | {_si(rc.segundos < limite)} |"
        )
        if (backend, clientes) in m.primera:
            s_ = m.primera[(backend, clientes)]
            filas.append(
                f"| R4 `recalcular`, the first run after loading (in process), {backend}, "
                f"{clientes:,} clients | {s_:.1f} s = **{clientes / s_:.0f} clients/s** | "
                f"100k in < 20 s (≥ 5000/s) | {_si(s_ < limite)} |"
            )
    for backend, rc in m.recalcular_carga.items():
        ok = rc.fallidos == 0 and rc.p99_ms < 1000 and rc.enviados > 0 and not rc.error
        if rc.error:
            filas.append(
                f"| R4 `recalcular` (CLI) with webhooks arriving, {backend} | **failed** after "
                f"{rc.segundos:.1f} s: `{rc.error}` | succeeds | **no** |"
            )
        filas.append(
            f"| R4 webhooks during `recalcular`, {backend} ({m.goteo:g}/s; recompute took "
            f"{rc.segundos:.1f} s) | {rc.enviados} sent, **{rc.fallidos} failed**, "
            f"p99 **{rc.p99_ms:.0f} ms** | all succeed, p99 < 1 s | {_si(ok)} |"
        )
    for clave, mb in m.rss_mb.items():
        filas.append(
            f"| R5 peak RSS, {clave} (at {m.scale:,}) | **{mb:.0f} MB** | < 300 MB | "
            f"{_si(mb < 300)} |"
        )
    for (backend, clientes), rc in m.recalcular.items():
        if clientes == m.scale:
            medido, cumple = f"**{rc.rss_mb:.0f} MB**", _si(rc.rss_mb < 300)
            if rc.error:  # a run that failed says nothing about its memory
                medido, cumple = f"failed: `{rc.error}`", "**no**"
            filas.append(
                f"| R5 peak RSS, `recalcular` CLI, {backend} (at {m.scale:,}) | "
                f"{medido} | < 300 MB | {cumple} |"
            )
    return filas


def informe(m: Medidas) -> str:
    detalle = [
        "| measurement | driver | conns | requests | req/s | p50 ms | p95 ms | p99 ms | non-2xx |",
        "|---|---|---|---|---|---|---|---|---|",
    ]

    def fila(nombre: str, r: Resultado, conexiones: int) -> None:
        detalle.append(
            f"| {nombre} | {r.driver} | {conexiones} | {r.requests} | {r.rps:.1f} | "
            f"{r.p50_ms:.2f} | {r.p95_ms:.2f} | {r.p99_ms:.2f} | {r.non2xx + r.errors} |"
        )

    nombres_r1 = {
        "bare": "bare `async` endpoint",
        "referencia": f"360 by hand (`referencia.py`) @ {m.scale:,}",
        "360": f"client 360 @ {m.scale:,}",
        "360 sin caché": f"client 360 @ {m.scale:,}, nothing kept (`CRM_CACHE_360=0`)",
        "360 tras R3": f"client 360 @ {m.scale:,}, again after the SQLite webhooks (R3)",
    }
    for clave, nombre in nombres_r1.items():
        if clave in m.r1:
            tasas = " / ".join(f"{rps:.0f}" for rps in m.rondas_r1.get(clave, []))
            fila(nombre + (f" (rounds' req/s {tasas})" if tasas else ""), m.r1[clave], CONEXIONES)
    for (nombre, clientes), r in sorted(m.latencias.items(), key=lambda kv: (kv[0][0], kv[0][1])):
        rondas = m.rondas_r2.get((nombre, clientes), [])
        espectro = " / ".join(f"{p95:.1f}" for p95 in rondas)
        fila(f"{nombre} @ {clientes:,}" + (f" (rounds' p95 {espectro})" if rondas else ""), r, 1)
    for (backend, workers, conexiones), (r, procesados) in m.r3.items():
        fila(
            f"webhook {backend}, {workers} worker(s) @ {m.scale:,} ({procesados} processed)",
            r,
            conexiones,
        )
    r4 = [
        "| `recalcular` (CLI) | clients | seconds | clients/s | peak RSS MB | webhooks sent | "
        "failed | p50 ms | p99 ms | max ms |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for (backend, clientes), s_ in sorted(m.primera.items()):
        r4.append(
            f"| {backend}, first run after loading (in process, as of yesterday) | "
            f"{clientes:,} | {s_:.1f} | {clientes / s_:.0f} | — | — | — | — | — | — |"
        )
    for (backend, clientes), rc in sorted(m.recalcular.items()):
        r4.append(
            f"| {backend}, the next day's run, alone | {clientes:,} | {rc.segundos:.1f} | "
            f"{clientes / rc.segundos:.0f} | {rc.rss_mb:.0f} | — | — | — | — | — |"
        )
    for backend, rc in m.recalcular_carga.items():
        fallos = ", ".join(f"{k}: {v}" for k, v in sorted(rc.fallos.items())) or "0"
        r4.append(
            f"| {backend}, webhooks at {m.goteo:g}/s | {m.scale:,} | {rc.segundos:.1f} | "
            f"{m.scale / rc.segundos:.0f} | {rc.rss_mb:.0f} | {rc.enviados} | {fallos} | "
            f"{rc.p50_ms:.0f} | {rc.p99_ms:.0f} | {rc.max_ms:.0f} |"
        )
    generacion = ", ".join(
        f"{k}: {v:.0f} s" if v is not None else f"{k}: reused" for k, v in m.generacion.items()
    )
    partes = ", ".join(p for p in PARTES if p in m.solo)
    postgres = any(b == "postgresql" for b, _ in m.recalcular)
    return "\n".join(
        [
            f"## Run of {datetime.now(UTC):%Y-%m-%d %H:%M} UTC — {m.scale:,} clients"
            + (f" (R2 against {m.base:,}, interleaved)" if "R2" in m.solo else ""),
            "",
            f"- Machine: {maquina()}",
            f"- Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}; "
            f"driver `{m.driver or '?'}` (1 thread), {m.segundos:.0f} s per measurement "
            "(R1 and R2 in rounds, below); server: uvicorn, 1 worker "
            "unless stated, no access log",
            "- Data per client: 3 contacts, 20 activities, 2 opportunities, 12 invoices "
            "(about 9 in 10 paid, each with its payment row; the rest open) "
            f"(generator v{generate.VERSION}, seed 6). Generation: {generacion}",
            f"- Parts measured: {partes}"
            + ("" if m.solo == frozenset(PARTES) else " (`--solo`)")
            + ". R1, R2 and the SQLite figures of R3–R5 on SQLite (the default database); "
            + (
                f"R3 and R4 also on PostgreSQL (1 worker; R3 also {WORKERS_PG} workers with "
                f"`CRM_WORKERS={WORKERS_PG}`, `CRM_DB_MAX_CONEXIONES="
                f"{MAX_CONEXIONES_PG[WORKERS_PG]}`)."
                if postgres
                else "PostgreSQL not measured."
            ),
            *(
                [
                    f"- R2: once both databases were recomputed, the {m.base:,} and the "
                    f"{m.scale:,} clients' servers ran at the same time (two uvicorn "
                    "processes, one connection each through the driver) and each endpoint got "
                    f"{RONDAS_R2} rounds of {segundos_ronda_r2(m.segundos)} s per scale, "
                    f"alternated ({m.base:,}, {m.scale:,}, {m.base:,}, …) after "
                    f"{CALENTAR_R2_S} s of warm-up on each, so the machine's drift falls on "
                    "both scales alike; a scale's p95 is the **median of its rounds' p95s** "
                    "(each round's in *Every figure*, where requests and non-2xx are the "
                    "rounds' sums and p50/p99 the medians of theirs)."
                ]
                if "R2" in m.solo and m.latencias
                else []
            ),
            f"- R1's four figures are measured on the same recomputed database in {RONDAS_R1} "
            "rounds each, alternated (bare, by hand, 360, 360 with nothing kept, bare, …), the "
            "four servers up at once; a figure's rate is its rounds' requests over their "
            "seconds. The 360's server keeps rendered 360s (`CRM_CACHE_360`, 2,000 by "
            "default) and R1 reads the same 1,000 clients over and over (each read once, "
            f"{CALENTAR_360_S} s, before its rounds), so its figure is the warm read's; the "
            "one with nothing kept is the cold read's. "
            "R4 times the cron's daily run: the data are generated as of yesterday and "
            "recomputed in the bench's process as of 24 hours ago (the first run after "
            "loading, timed too), then R4 runs `smartbilling-crm recalcular` in a subprocess "
            f"(its default `--procesos`: {procesos_por_defecto()} worker processes score "
            "batches on this machine; peak RSS is the largest process): the next day's run, "
            "first alone, then again the same day "
            f"while signed webhooks arrive at {m.goteo:g}/s (each sent on its own, so a slow "
            "answer does not delay the next); its times include starting the CLI"
            + (
                f" (`smartbilling-crm --help` alone: {m.arranque_cli_s:.1f} s)."
                if m.arranque_cli_s is not None
                else "."
            ),
            "",
            *filas_resumen(m),
            "",
            "### Every figure",
            "",
            *detalle,
            "",
            *r4,
            *[linea for nota in m.notas for linea in ("", nota)],
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
    parser.add_argument(
        "--skip-sqlite",
        action="store_true",
        help="PostgreSQL only (R3, R4); R3's goal then has no 360 rate to compare with",
    )
    parser.add_argument("--python-driver", action="store_true", help="ignore wrk")
    parser.add_argument(
        "--solo", help=f"only these parts, comma-separated ({','.join(PARTES)}); default all"
    )
    parser.add_argument(
        "--goteo", type=float, default=5, help="R4: webhooks per second during `recalcular`"
    )
    parser.add_argument("--out", default=str(BENCH / "RESULTS.md"))
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="crm-bench-") as tmp:
        m = medir(args, Path(tmp))
    cuerpo = informe(m)
    print(cuerpo)
    analisis = BENCH / "ANALYSIS.md"
    partes = [
        "# Benchmark results (issues #6 and #14)\n",
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
