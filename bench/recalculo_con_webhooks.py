"""Issue #14 / R4: `smartbilling-crm recalcular` on a generated database while a running
server receives signed invoice webhooks; prints the recompute's seconds and the webhooks'
successes and latencies.

    python bench/generate.py --url sqlite:////tmp/b20k.db --clientes 20000
    python bench/recalculo_con_webhooks.py --url sqlite:////tmp/b20k.db --clientes 20000
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
from driver import crm_env, servidor
from run import eventos_firmados

BIN = Path(sys.executable).parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--clientes", type=int, required=True)
    parser.add_argument("--cada", type=float, default=0.25, help="segundos entre webhooks")
    parser.add_argument(
        "--sin-recalculo", type=float, default=0, help="control: solo webhooks, N segundos"
    )
    args = parser.parse_args()
    env = crm_env(args.url)
    log = Path(tempfile.mkdtemp()) / "server.log"
    with servidor("smartbilling_crm.main:app", env, log) as server:
        base = f"http://127.0.0.1:{server.port}"
        eventos = iter(eventos_firmados(args.clientes, 100_000, f"r4-{time.time_ns()}"))
        resultados: list[tuple[int, float]] = []
        fin = threading.Event()

        def enviar() -> None:
            with httpx.Client(base_url=base, timeout=60) as cliente:
                while not fin.is_set():
                    p = next(eventos)
                    inicio = time.perf_counter()
                    r = cliente.request(p.method, p.path, content=p.body, headers=p.headers)
                    resultados.append((r.status_code, time.perf_counter() - inicio))
                    time.sleep(args.cada)

        emisor = threading.Thread(target=enviar)
        inicio = time.perf_counter()
        emisor.start()
        orden = [str(BIN / "smartbilling-crm"), "recalcular", "--desde-cero"]
        if args.sin_recalculo:
            orden = ["sleep", str(args.sin_recalculo)]
        recalculo = subprocess.run(orden, env={**os.environ, **env}, capture_output=True, text=True)
        segundos = time.perf_counter() - inicio
        fin.set()
        emisor.join()
    latencias = sorted(s for _, s in resultados)
    bien = sum(1 for c, _ in resultados if c < 300)
    p99 = latencias[min(len(latencias) - 1, int(len(latencias) * 0.99))] if latencias else 0
    print(f"recalcular: {segundos:.1f} s, código {recalculo.returncode}")
    print(recalculo.stderr.strip().splitlines()[-1] if recalculo.stderr.strip() else "")
    print(
        f"webhooks: {bien}/{len(resultados)} correctos, p50 "
        f"{latencias[len(latencias) // 2] * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms, "
        f"máx {latencias[-1] * 1000:.0f} ms; códigos {sorted({c for c, _ in resultados})}"
    )


if __name__ == "__main__":
    main()
