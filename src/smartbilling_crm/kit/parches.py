"""Partial updates (PATCH) shared by every resource."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from pydantic import BaseModel

from smartbilling_crm.kit.excepciones import InvalidInputError
from smartbilling_crm.models import Base


def cambios(
    data: BaseModel, modelo: type[Base], *, nulo_con_sentido: Collection[str] = ()
) -> dict[str, Any]:
    """The fields a PATCH body sets; 422 when it empties one whose column is NOT NULL (the
    null would otherwise reach the database and come back as a 500), except those of
    `nulo_con_sentido`, whose null the caller turns into a value."""
    changes = data.model_dump(exclude_unset=True)
    columnas = modelo.__table__.columns
    for name, value in changes.items():
        if name in nulo_con_sentido:
            continue
        if value is None and name in columnas and not columnas[name].nullable:
            raise InvalidInputError(f"'{name}' no puede quedar vacío", field=name)
    return changes
