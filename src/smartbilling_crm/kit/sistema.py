"""`/healthz`: whether the service and its database answer."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import text

router = APIRouter()


class EstadoServicio(BaseModel):
    """`status: ok` when the database answers; otherwise `error` and why."""

    status: Literal["ok", "error"]
    database: Literal["ok", "unreachable", "locked"]


@router.get(
    "/healthz",
    tags=["Sistema"],
    summary="Estado del servicio",
    response_model=EstadoServicio,
    responses={
        503: {
            "model": EstadoServicio,
            "description": "La base de datos no responde (`unreachable`) o está bloqueada "
            "(`locked`)",
        }
    },
)
def estado_servicio(request: Request) -> JSONResponse:
    """`ok` si la base de datos responde; 503 con `database: unreachable` (no responde) o
    `locked` (SQLite bloqueada por otro proceso) si no."""
    try:
        with request.app.state.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as exc:
        state = "locked" if "locked" in str(exc).lower() else "unreachable"
        body = EstadoServicio(status="error", database=state)
        return JSONResponse(body.model_dump(), status_code=503)
    return JSONResponse(EstadoServicio(status="ok", database="ok").model_dump())
