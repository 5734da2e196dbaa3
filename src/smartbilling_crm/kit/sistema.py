"""`/healthz`: whether the service and its database answer."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text

router = APIRouter()


@router.get("/healthz", tags=["Sistema"], summary="Estado del servicio")
def estado_servicio(request: Request) -> JSONResponse:
    """`ok` si la base de datos responde; 503 con `database: unreachable` (no responde) o
    `locked` (SQLite bloqueada por otro proceso) si no."""
    try:
        with request.app.state.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as exc:
        state = "locked" if "locked" in str(exc).lower() else "unreachable"
        return JSONResponse({"status": "error", "database": state}, status_code=503)
    return JSONResponse({"status": "ok", "database": "ok"})
