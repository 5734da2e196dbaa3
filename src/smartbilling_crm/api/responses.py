"""The error shape (RFC 9457 problem+json) declared on every operation."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class FieldError(BaseModel):
    campo: str | None = Field(None, description="El campo con el problema, p. ej. 'email'")
    mensaje: str
    tipo: str


class Problem(BaseModel):
    type: str = "about:blank"
    title: str
    status: int
    detail: str
    errors: list[FieldError] | None = None


def problem(status: int, description: str) -> dict[str, Any]:
    return {
        "model": Problem,
        "description": description,
        "content": {
            "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
        },
    }


Responses = dict[int | str, dict[str, Any]]

UNAUTHORIZED: Responses = {401: problem(401, "Falta la clave de API o no es válida")}
NOT_FOUND: Responses = {404: problem(404, "Algún id de la ruta no existe")}
CONFLICT: Responses = {409: problem(409, "Duplicado (email, CIF/NIF o id) o transición imposible")}
INVALID: Responses = {422: problem(422, "Datos no válidos; `errors` nombra cada campo")}

READ: Responses = {**UNAUTHORIZED, **NOT_FOUND, **INVALID}
WRITE: Responses = {**UNAUTHORIZED, **NOT_FOUND, **CONFLICT, **INVALID}
