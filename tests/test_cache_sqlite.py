"""CRM_SQLITE_CACHE_MB: how much of a SQLite file one server process keeps in memory, all its
connections together (issue 14: at 100k clients a search's index pages did not fit in
SQLite's default 2 MB per connection). The batch commands keep SQLite's default."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from pydantic import ValidationError

from smartbilling_crm.kit.db import create_db_engine
from smartbilling_crm.main import create_app

from .conftest import API_KEY, ServerThread, make_settings

MB = 1024 * 1024


def test_each_server_connection_may_use_the_budget_and_the_process_keeps_to_it(
    tmp_path: Path,
) -> None:
    app = create_app(make_settings(f"sqlite:///{tmp_path / 'crm.db'}", CRM_SQLITE_CACHE_MB=8))
    with ServerThread(app) as server:
        headers = {"Authorization": f"Bearer {API_KEY}"}
        assert httpx.get(f"{server.base_url}/api/clientes/", headers=headers).status_code == 200
        engine = app.state.engine
        # Two of the pool's connections at once (the driver's own: no transaction begun).
        una, otra = engine.raw_connection(), engine.raw_connection()
        try:
            for conexion in (una, otra):
                # cache_size in KiB when negative; the soft heap limit is the process's.
                assert conexion.execute("PRAGMA cache_size").fetchone() == (-8 * 1024,)
                assert conexion.execute("PRAGMA soft_heap_limit").fetchone() == (8 * MB,)
        finally:
            una.close()
            otra.close()


def test_by_default_32_mb_and_the_batch_commands_keep_sqlites_own(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'crm.db'}"
    assert make_settings(url).sqlite_cache_mb == 32
    engine = create_db_engine(url)  # as `recalcular` and the other batch commands open it
    try:
        conexion = engine.raw_connection()
        try:
            assert conexion.execute("PRAGMA cache_size").fetchone() == (-2000,)
        finally:
            conexion.close()
    finally:
        engine.dispose()


@pytest.mark.parametrize("valor", ["1", "0", "-5", "mucho"])
def test_a_budget_too_small_or_not_a_number_is_refused(tmp_path: Path, valor: str) -> None:
    with pytest.raises(ValidationError) as error:
        make_settings(f"sqlite:///{tmp_path / 'crm.db'}", CRM_SQLITE_CACHE_MB=valor)
    assert "CRM_SQLITE_CACHE_MB" in str(error.value)
