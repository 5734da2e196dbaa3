"""The server's SQLite checkpoints, in a thread of their own (`PuntosDeControl`), and the
backstop its connections keep (`AUTOCHECKPOINT_RESPALDO`, set by `kit.db.create_db_engine`)."""

from __future__ import annotations

import logging
import sqlite3
import threading
from pathlib import Path

logger = logging.getLogger("smartbilling_crm")

# SQLite in WAL mode copies the log's pages into the database file (a checkpoint) when a
# commit leaves the log past 1,000 pages: that commit writes them and syncs the file while
# its request holds the process's write turn. At 100k clients a webhook event appends
# about 57 pages, so every 17th event paid for a checkpoint: 2.1 ms a commit on average,
# 1.3 ms of it the checkpoints (bench/ANALYSIS.md). The server checkpoints in a thread of
# its own instead (`PuntosDeControl`); its commits checkpoint only past this many pages.
AUTOCHECKPOINT_RESPALDO = 10_000


class PuntosDeControl:
    """The server's SQLite checkpoints, off the request path: a thread with a connection of
    its own that every `intervalo_s` copies what it can of the log into the file without
    waiting for anybody (PASSIVE) while requests go on writing, and once the log passes
    `reinicio_paginas` takes the write lock for the little left (RESTART), so the next
    writer starts the log over (a log written to without pause is never fully copied by
    passive checkpoints alone, and grows without end). If the lock or a reader keeps it
    waiting more than `espera_ms` it gives up until the next turn.

    Writers still checkpoint past `AUTOCHECKPOINT_RESPALDO` pages if this thread cannot
    keep up; the batch commands, in processes of their own, keep SQLite's 1,000."""

    def __init__(
        self,
        fichero: Path,
        *,
        intervalo_s: float = 0.1,
        reinicio_paginas: int = 1000,
        espera_ms: int = 20,
    ) -> None:
        self.fichero = fichero
        self.intervalo_s = intervalo_s
        self.reinicio_paginas = reinicio_paginas
        self.espera_ms = espera_ms
        self._parar = threading.Event()
        self._hilo = threading.Thread(target=self._bucle, name="sqlite-checkpoints", daemon=True)

    def __enter__(self) -> PuntosDeControl:
        self._hilo.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._parar.set()
        self._hilo.join()

    def _bucle(self) -> None:
        try:  # read-write, never created: a missing file is the server's error to report
            conexion = sqlite3.connect(
                f"{self.fichero.as_uri()}?mode=rw", uri=True, isolation_level=None
            )
        except sqlite3.Error as error:
            logger.warning("sin checkpoints aparte (%s): los hará cada escritura", error)
            return
        try:
            conexion.execute(f"PRAGMA busy_timeout={int(self.espera_ms)}")
            avisado = False
            while not self._parar.wait(self.intervalo_s):
                try:
                    self.una_vez(conexion)
                    avisado = False
                except sqlite3.Error as error:
                    if not avisado:  # once per spell of failures, not ten times a second
                        logger.warning("checkpoint de SQLite fallido: %s", error)
                        avisado = True
        finally:
            conexion.close()

    def una_vez(self, conexion: sqlite3.Connection) -> None:
        """One turn: a passive checkpoint, and a restart if the log has grown past the limit."""
        _ocupado, paginas, _copiadas = conexion.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        if paginas >= self.reinicio_paginas:
            conexion.execute("PRAGMA wal_checkpoint(RESTART)").fetchone()
