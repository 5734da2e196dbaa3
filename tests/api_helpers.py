"""Small helpers shared by the API tests: error assertions and direct row counts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import httpx
from sqlalchemy import Engine, text

# The seed's "Ejemplos de Uso" (implementacion-tecnica.md): they must work unchanged.
SEED_CLIENTE: dict[str, Any] = {
    "nombre_empresa": "TechCorp S.L.",
    "email": "info@techcorp.es",
    "telefono": "+34 91 123 4567",
    "direccion": "Calle Tech 123, Madrid",
    "cif_nif": "A12345678",
    "sector_industria": "technology",
    "tamaño_empresa": "mediana",
}
SEED_ACTIVIDAD: dict[str, Any] = {
    "tipo": "reunión",
    "titulo": "Junta trimestral",
    "descripcion": "Cliente muy satisfecho, solicita ampliación",
    "duración_minutos": 90,
    "responsable": "Tu nombre",
}
SEED_OPORTUNIDAD: dict[str, Any] = {
    "nombre_proyecto": "Implementación ERP",
    "descripcion": "Sistema de gestión integral",
    "monto_estimado": 45000,
    "estado": "presupuesto",
    "probabilidad_cierre": 65,
}


def campos(response: httpx.Response) -> list[str | None]:
    """The fields named by an error response's `errors`."""
    return [error.get("campo") for error in response.json().get("errors") or []]


def assert_problem(response: httpx.Response, status: int) -> dict[str, Any]:
    """The response is a JSON error with this status and a readable `detail`."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].split(";")[0] in (
        "application/json",
        "application/problem+json",
    )
    body: dict[str, Any] = response.json()
    assert isinstance(body["detail"], str) and body["detail"].strip(), body
    return body


def assert_invalid(response: httpx.Response, campo: str) -> dict[str, Any]:
    """A 422 whose `errors` name `campo`."""
    body = assert_problem(response, 422)
    assert campo in campos(response), body
    return body


def assert_conflict(response: httpx.Response, campo: str) -> dict[str, Any]:
    """A 409 whose `errors` name `campo`."""
    body = assert_problem(response, 409)
    assert campo in campos(response), body
    return body


def instant(value: str) -> datetime:
    """An ISO 8601 timestamp from the API; it must carry its time zone."""
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    assert parsed.tzinfo is not None, f"naive timestamp on the wire: {value}"
    return parsed


def count_rows(engine: Engine, table: str, cliente_id: str | None = None) -> int:
    """Rows of `table` (all, or those of one client), read straight from the database."""
    sql = f"SELECT COUNT(*) FROM {table}"
    params: dict[str, Any] = {}
    if cliente_id is not None:
        sql += " WHERE cliente_id = :cliente_id"
        params["cliente_id"] = cliente_id
    with engine.connect() as conn:
        return int(conn.execute(text(sql), params).scalar_one())
