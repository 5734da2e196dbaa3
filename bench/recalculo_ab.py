"""Issue #14 / R4: two versions of the daily recompute, alternated on the same data, the
way R4 is timed (the next day's run on a portfolio recomputed the day before).

Each round restores a fresh copy of the same state (a SQLite file copied; a PostgreSQL
database created from the given one as a template), then runs `recalcular_todos` with the
CLI's worker processes, "now" one day after this instant, in a process of its own whose
`PYTHONPATH` is that version's `src/`. Prints wall time, the storing process' and the
workers' CPU, and peak RSS, a line per run.

    python bench/generate.py --url sqlite:////tmp/b100k.db --clientes 100000
    smartbilling-crm recalcular          # DATABASE_URL=sqlite:////tmp/b100k.db: "yesterday"
    git worktree add /tmp/antes main~3
    python bench/recalculo_ab.py --url sqlite:////tmp/b100k.db --antes /tmp/antes/src

Why a script of its own per run, not the CLI: with `PYTHONPATH` pointing at another
checkout, the CLI's entry point ran that version in its own process only, while its
spawned workers imported this checkout (bench/ANALYSIS.md, 2026-12-06). A script file
run by the interpreter ran the given version in its workers too (their timings differed
as the versions did).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from sqlalchemy import create_engine, make_url, text

AQUI = Path(__file__).resolve().parents[1] / "src"

# Written to a file and run by a fresh interpreter (its workers, spawned or forked from a
# fork server, import the package from the `sys.path` that multiprocessing hands them).
# "maquina": the CPU the whole machine was busy during the run (/proc/stat), the workers'
# included however they were started: forked from a fork server they are not this
# process' children, so `RUSAGE_CHILDREN` ("trabajadores") no longer counts them.
_CORRER = """
import json, resource, sys, time
from datetime import UTC, datetime, timedelta

def ocupada():
    with open("/proc/stat") as stat:
        campos = [int(x) for x in stat.readline().split()[1:]]
    return (sum(campos) - campos[3] - campos[4]) / 100  # all but idle and iowait, in s

def main():
    import smartbilling_crm
    from smartbilling_crm.config import Settings
    from smartbilling_crm.kit.db import create_db_engine, create_session_factory
    from smartbilling_crm.salud import recalculo
    url, procesos = sys.argv[1], int(sys.argv[2])
    factory = create_session_factory(create_db_engine(url))
    manana = datetime.now(UTC) + timedelta(days=1)
    antes, inicio = ocupada(), time.perf_counter()
    r = recalculo.recalcular_todos(
        factory, Settings(DATABASE_URL=url), manana, procesos=procesos, proceso_dedicado=True
    )
    pared, maquina = time.perf_counter() - inicio, ocupada() - antes
    yo = resource.getrusage(resource.RUSAGE_SELF)
    hijos = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(json.dumps({
        "src": smartbilling_crm.__file__,
        "clientes": r.clientes,
        "pared": pared,
        "padre": yo.ru_utime + yo.ru_stime,
        "trabajadores": hijos.ru_utime + hijos.ru_stime,
        "maquina": maquina,
        "rss_padre_mb": yo.ru_maxrss // 1024,
        "rss_trabajador_mb": hijos.ru_maxrss // 1024,
    }))

if __name__ == "__main__":
    main()
"""


def copia(url: str) -> str:
    """A fresh copy of the database at `url`; its URL."""
    u = make_url(url)
    if u.get_backend_name() == "sqlite":
        origen = Path(u.database or "")
        destino = origen.with_name(origen.stem + "-ab" + origen.suffix)
        for sobra in destino.parent.glob(destino.name + "*"):
            sobra.unlink()
        with create_engine(url).connect() as conn:  # the write-ahead log into the file
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        shutil.copyfile(origen, destino)
        return u.set(database=str(destino)).render_as_string(hide_password=False)
    nombre = f"{u.database}_ab"
    admin = create_engine(u.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{nombre}"'))
        conn.execute(text(f'CREATE DATABASE "{nombre}" TEMPLATE "{u.database}"'))
    admin.dispose()
    return u.set(database=nombre).render_as_string(hide_password=False)


def borrar(url: str) -> None:
    """Drop a copy made by `copia`."""
    u = make_url(url)
    if u.get_backend_name() == "sqlite":
        fichero = Path(u.database or "")
        for sobra in fichero.parent.glob(fichero.name + "*"):
            sobra.unlink()
        return
    admin = create_engine(u.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{u.database}"'))
    admin.dispose()


def correr(url: str, src: Path, procesos: int, guion: Path) -> dict[str, float]:
    env = {**os.environ, "PYTHONPATH": str(src)}
    salida = subprocess.run(
        [sys.executable, str(guion), url, str(procesos)],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    datos: dict[str, float] = json.loads(salida.stdout.strip().splitlines()[-1])
    return datos


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help="the state to copy before each run")
    parser.add_argument("--antes", type=Path, required=True, help="the other version's src/")
    parser.add_argument("--despues", type=Path, default=AQUI, help="default: this checkout")
    parser.add_argument("--rondas", type=int, default=2)
    parser.add_argument("--procesos", type=int, default=2)
    args = parser.parse_args()
    guion = Path(tempfile.mkdtemp()) / "recalcular_manana.py"
    guion.write_text(_CORRER)
    for ronda in range(1, args.rondas + 1):
        for nombre, src in (("antes", args.antes), ("despues", args.despues)):
            url = copia(args.url)
            try:
                r = correr(url, src, args.procesos, guion)
            finally:
                borrar(url)
            print(
                f"ronda {ronda} {nombre:7s} pared {r['pared']:5.1f} s  CPU padre "
                f"{r['padre']:5.1f} s + trabajadores {r['trabajadores']:5.1f} s, "
                f"máquina {r['maquina']:5.1f} s  RSS "
                f"{r['rss_padre_mb']:.0f} / {r['rss_trabajador_mb']:.0f} MB  "
                f"({r['clientes']:.0f} clientes, {r['src']})",
                flush=True,
            )


if __name__ == "__main__":
    main()
