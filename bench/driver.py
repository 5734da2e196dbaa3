"""Start the real server (uvicorn, one worker unless told) and load it: `wrk` when present, else a
Python asyncio + httpx driver with the same settings.

Requests are written to a file, one per line (method, path, body and header pairs,
tab-separated); both drivers replay it round-robin, so signed webhook events can be
prepared up front.
"""

from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

BENCH = Path(__file__).resolve().parent
LUA = BENCH / "carga.lua"
API_KEY = "bench-api-key-0123456789abcdef"
WEBHOOK_SECRET = "whsec_YmVuY2gtd2ViaG9vay1zZWNyZXQtMDEyMzQ1Njc4OQ=="


@dataclass(frozen=True)
class Peticion:
    method: str
    path: str
    body: str = ""
    headers: tuple[tuple[str, str], ...] = ()

    def linea(self) -> str:
        campos = [self.method, self.path, self.body]
        for name, value in self.headers:
            campos += [name, value]
        return "\t".join(campos)


@dataclass(frozen=True)
class Resultado:
    requests: int
    seconds: float
    errors: int
    non2xx: int
    p50_ms: float
    p95_ms: float
    p99_ms: float
    driver: str

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


class Servidor:
    """One uvicorn process on a free port (`workers` > 1: a master and its worker
    processes); `peak_rss_mb` reads the largest VmHWM of the workers from /proc."""

    def __init__(
        self,
        app: str,
        env: dict[str, str],
        log: Path,
        workers: int = 1,
        *,
        sesion_propia: bool = False,
    ) -> None:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.log = log
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                app,
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--workers",
                str(workers),
                "--no-access-log",
                "--log-level",
                "warning",
            ],
            env={**os.environ, **env},
            cwd=BENCH,
            stdout=subprocess.DEVNULL,
            stderr=log.open("ab"),
            # Out of the terminal's process group: Ctrl-C reaches the caller alone, which
            # stops the server itself (a server killed first made its last request fail).
            # Then a signal to the whole job no longer reaches it: it dies with its caller
            # instead, however that goes (SIGKILL, a closed terminal).
            start_new_session=sesion_propia,
            preexec_fn=_morir_con_el_padre if sesion_propia else None,
        )
        try:
            self._wait()
        except BaseException:  # not started, or interrupted while starting: not left behind
            self.stop()
            raise

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _wait(self) -> None:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited; see {self.log}")
            try:
                if httpx.get(self.url + "/openapi.json", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError("server did not start")

    def peak_rss_mb(self) -> float:
        """The peak RSS of the (largest) worker: with one worker the process itself, with
        several each child of the master."""
        hijos = _hijos(self.proc.pid)
        return max((peak_rss_mb(pid) for pid in hijos or [self.proc.pid]), default=0.0)

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def _morir_con_el_padre() -> None:
    """In the child, before exec (Linux): SIGTERM when the process that started it ends.
    Elsewhere nothing (the caller's own cleanup is all there is)."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):
        pass


PR_SET_PDEATHSIG = 1  # linux/prctl.h


def peak_rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def pico_rss_arbol_mb(pid: int) -> float:
    """The largest VmHWM of `pid` and of every process under it, now.

    Not `ru_maxrss` from `wait4`: Linux carries a process's high-water mark across `exec`,
    so a child started by `fork` or `vfork` reports at least the RSS its parent had then
    (this bench, after generating 100k clients in process, added 63–74 MB to the CLI's
    figure). VmHWM belongs to the process's own memory since its `exec`."""
    pico = peak_rss_mb(pid)
    for hijo in _hijos(pid):
        pico = max(pico, pico_rss_arbol_mb(hijo))
    return pico


def _hijos(pid: int) -> list[int]:
    hijos: list[int] = []
    try:  # a process that ends meanwhile takes its /proc entries with it
        for tarea in Path(f"/proc/{pid}/task").glob("*"):
            try:
                hijos += [int(h) for h in (tarea / "children").read_text().split()]
            except OSError:
                continue
    except OSError:
        pass
    return hijos


def crm_env(database_url: str) -> dict[str, str]:
    return {
        "DATABASE_URL": database_url,
        "CRM_ENV": "development",
        "CRM_API_KEYS": API_KEY,
        "CRM_WEBHOOK_SECRETS": WEBHOOK_SECRET,
        "CRM_RATE_LIMIT_POR_MINUTO": "0",
    }


@contextmanager
def servidor(
    app: str, env: dict[str, str], log: Path, workers: int = 1, *, sesion_propia: bool = False
) -> Iterator[Servidor]:
    server = Servidor(app, env, log, workers, sesion_propia=sesion_propia)
    try:
        yield server
    finally:
        server.stop()


def cargar(
    base_url: str,
    peticiones: Iterable[Peticion],
    *,
    conexiones: int,
    segundos: float,
    forzar_python: bool = False,
) -> Resultado:
    """Replay `peticiones` for `segundos` over `conexiones` connections."""
    with tempfile.NamedTemporaryFile("w", suffix=".tsv", delete=False) as fichero:
        for peticion in peticiones:
            fichero.write(peticion.linea() + "\n")
    try:
        if shutil.which("wrk") and not forzar_python:
            return _wrk(base_url, Path(fichero.name), conexiones, segundos)
        return asyncio.run(_python(base_url, Path(fichero.name), conexiones, segundos))
    finally:
        os.unlink(fichero.name)


def _wrk(base_url: str, fichero: Path, conexiones: int, segundos: float) -> Resultado:
    salida = subprocess.run(
        [
            "wrk",
            "-t1",
            f"-c{conexiones}",
            f"-d{int(segundos)}s",
            "--timeout",
            "60s",
            "-s",
            str(LUA),
            base_url,
        ],
        env={**os.environ, "WRK_REQUESTS": str(fichero)},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    datos = json.loads(salida.strip().splitlines()[-1])
    return Resultado(
        requests=datos["requests"],
        seconds=datos["duration_us"] / 1e6,
        errors=datos["errors"],
        non2xx=datos["non2xx"],
        p50_ms=datos["p50_us"] / 1000,
        p95_ms=datos["p95_us"] / 1000,
        p99_ms=datos["p99_us"] / 1000,
        driver="wrk",
    )


def percentil(valores: list[float], p: float) -> float:
    if not valores:
        return 0.0
    ordenados = sorted(valores)
    return ordenados[min(len(ordenados) - 1, int(len(ordenados) * p / 100))]


async def _python(base_url: str, fichero: Path, conexiones: int, segundos: float) -> Resultado:
    peticiones = []
    for linea in fichero.read_text().splitlines():
        campos = linea.split("\t")
        cabeceras = dict(zip(campos[3::2], campos[4::2], strict=True))
        peticiones.append((campos[0], campos[1], campos[2].encode() or None, cabeceras))
    latencias: list[float] = []
    errores = non2xx = 0
    siguiente = 0
    limits = httpx.Limits(max_connections=conexiones, max_keepalive_connections=conexiones)
    async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=60) as client:
        fin = time.perf_counter() + segundos

        async def trabajador() -> None:
            nonlocal siguiente, errores, non2xx
            while time.perf_counter() < fin:
                method, path, body, headers = peticiones[siguiente % len(peticiones)]
                siguiente += 1
                inicio = time.perf_counter()
                try:
                    response = await client.request(method, path, content=body, headers=headers)
                except httpx.HTTPError:
                    errores += 1
                    continue
                latencias.append(time.perf_counter() - inicio)
                non2xx += not 200 <= response.status_code < 400

        inicio = time.perf_counter()
        await asyncio.gather(*(trabajador() for _ in range(conexiones)))
        duracion = time.perf_counter() - inicio
    return Resultado(
        requests=len(latencias),
        seconds=duracion,
        errors=errores,
        non2xx=non2xx,
        p50_ms=percentil(latencias, 50) * 1000,
        p95_ms=percentil(latencias, 95) * 1000,
        p99_ms=percentil(latencias, 99) * 1000,
        driver="python",
    )
