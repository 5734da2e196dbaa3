"""Partial updates (PATCH) shared by every resource."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from smartbilling_crm.kit.excepciones import InvalidInputError
from smartbilling_crm.models import Base


def cambios(data: BaseModel, modelo: type[Base]) -> dict[str, Any]:
    """The fields a PATCH body sets; 422 when it empties one whose column is NOT NULL (the
    null would otherwise reach the database and come back as a 500)."""
    changes = data.model_dump(exclude_unset=True)
    columnas = modelo.__table__.columns
    for name, value in changes.items():
        if value is None and name in columnas and not columnas[name].nullable:
            raise InvalidInputError(f"'{name}' no puede quedar vacío", field=name)
    return changes
