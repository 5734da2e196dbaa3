"""The SQLite file's write-ahead log: copied into the database every `PAGINAS_WAL_VOLCADO`
pages, not SQLite's 1,000 (`kit.db`), and still bounded."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from smartbilling_crm.kit.db import PAGINAS_WAL_VOLCADO, create_db_engine

PAGINA = 4096
FRAME = 24 + PAGINA  # a page in the log, behind its frame header
PAGINAS_POR_COMMIT = 100  # one row of a 400 KB blob: its overflow pages


def _escribir(engine_url: str, commits: int) -> tuple[int, int]:
    """`commits` commits of ~100 pages each; the log's size and the connection's setting."""
    engine = create_db_engine(engine_url)
    try:
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, b BLOB)"))
        # The engine's pool keeps its connection open meanwhile: no close copies the log.
        with engine.connect() as conn:
            for _ in range(commits):
                conn.execute(
                    text("INSERT INTO t (b) VALUES (randomblob(:n))"),
                    {"n": PAGINAS_POR_COMMIT * PAGINA},
                )
                conn.commit()
            wal = Path(f"{engine.url.database}-wal")
            tamano = wal.stat().st_size
            ajuste = int(conn.execute(text("PRAGMA wal_autocheckpoint")).scalar_one())
    finally:
        engine.dispose()
    return tamano, ajuste


def test_el_registro_no_se_copia_cada_mil_paginas(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'wal.sqlite'}"
    tamano, ajuste = _escribir(url, commits=30)  # ~3,000 pages
    assert ajuste == PAGINAS_WAL_VOLCADO
    # Not copied (nor started again) at 1,000 pages: every page written is still there.
    assert tamano >= 30 * PAGINAS_POR_COMMIT * FRAME


def test_el_registro_sigue_acotado(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'wal.sqlite'}"
    commits = (PAGINAS_WAL_VOLCADO * 3 // 2) // PAGINAS_POR_COMMIT  # ~15,000 pages
    tamano, _ = _escribir(url, commits=commits)
    # Copied once past PAGINAS_WAL_VOLCADO and reused from its start: the file holds at most
    # that many pages and the commit that crossed it (plus the log's own small pages).
    assert tamano <= (PAGINAS_WAL_VOLCADO + 2 * PAGINAS_POR_COMMIT) * FRAME
    assert tamano < commits * PAGINAS_POR_COMMIT * FRAME * 3 // 4
