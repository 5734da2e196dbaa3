"""Hardening II (issue 15), cross-cutting: what reaches the logs, NUL in any body."""

from __future__ import annotations

import logging
from typing import Any

import httpx
import pytest
from fastapi import Request
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from smartbilling_crm.kit.errores import describir_error
from smartbilling_crm.main import create_app

from .conftest import Backend, ServerThread, make_settings

SECRETO = "ESB29884624-secreto@correo.es"


def test_database_errors_never_carry_their_parameters(db: Backend) -> None:
    """A failing statement's message (what a 500 logs) shows the SQL, never its values."""
    with pytest.raises(DBAPIError) as error, db.app_engine.begin() as conn:
        conn.execute(
            text("INSERT INTO clientes_extended (id, email) VALUES (:id, :email)"),
            {"id": "x", "email": SECRETO},
        )
    # SQLAlchemy's own rendering hides the bound values (hide_parameters on the engine)...
    assert "parameters hidden" in str(error.value)
    # ...and a 500 logs the type, the place, the SQL and its SQLSTATE, never the driver's
    # message (PostgreSQL's DETAIL repeats the failing row).
    logged = str(describir_error(error.value))
    assert SECRETO not in logged
    assert "INSERT INTO clientes_extended" in logged


@pytest.mark.parametrize(
    ("ruta", "cuerpo"),
    [
        ("/api/clientes/", {"nombre_empresa": "Nul\x00 S.L.", "email": "n@nul.es"}),
        ("/api/clientes/", {"nombre_empresa": "Nul S.L.", "email": "n@nul.es", "notas": "a\x00"}),
        ("/api/clientes/", {"nombre_empresa": "Nul S.L.", "email": "n\x00@nul.es"}),
        ("/api/clientes/", {"nombre_empresa": "Nul S.L.", "email": "n@nul.es", "cif_nif": "\x00"}),
    ],
)
def test_nul_anywhere_in_a_body_is_422(
    api: httpx.Client, ruta: str, cuerpo: dict[str, Any]
) -> None:
    response = api.post(ruta, json=cuerpo)
    assert response.status_code == 422, response.text
    assert api.get("/api/clientes/").json()["total"] == 0


def test_a_server_error_logs_one_sanitised_line_and_no_traceback(db: Backend) -> None:
    app = create_app(make_settings(db.url, CRM_MIGRATE_ON_START="false"))

    def falla(request: Request) -> None:
        with request.app.state.engine.begin() as conn:
            conn.execute(
                text("INSERT INTO clientes_extended (id, email) VALUES (:id, :email)"),
                {"id": "x", "email": SECRETO},
            )

    app.add_api_route("/api/_falla", falla)
    lines: list[str] = []

    class Capture(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(self.format(record))
            if record.exc_info:
                lines.append(logging.Formatter().formatException(record.exc_info))

    capture = Capture()
    loggers = [logging.getLogger(n) for n in ("smartbilling_crm", "uvicorn.error", "uvicorn")]
    for logger in loggers:
        logger.addHandler(capture)
    server = ServerThread(app)
    server.start()
    try:
        response = httpx.get(server.base_url + "/api/_falla", timeout=30)
    finally:
        server.stop()
        for logger in loggers:
            logger.removeHandler(capture)
    assert response.status_code == 500
    assert response.json()["detail"] == "Error interno del servidor"
    log = "\n".join(lines)
    assert SECRETO not in log
    assert "Traceback" not in log
    assert '"event": "error"' in log and "INSERT INTO clientes_extended" in log
