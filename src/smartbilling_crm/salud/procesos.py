"""How many worker processes `recalcular` starts when not told (`lote.trabajadores`).

Apart from `lote` so the CLI can show it in `recalcular --help` without importing the
engines."""

from __future__ import annotations

import os

PROCESOS_MAXIMOS = 4  # by default: past that, storing the batches is what limits the run


def procesos_por_defecto() -> int:
    """Worker processes for `recalcular` when not told: one per core this process may run
    on (its affinity, which containers restrict), up to `PROCESOS_MAXIMOS`."""
    return min(len(os.sched_getaffinity(0)), PROCESOS_MAXIMOS)
