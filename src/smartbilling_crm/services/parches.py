"""Partial updates (PATCH) shared by every resource."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from pydantic import BaseModel

from ..errors import InvalidInputError


def cambios(data: BaseModel, obligatorios: Collection[str]) -> dict[str, Any]:
    """The fields a PATCH body sets; 422 when it empties one that cannot be empty."""
    changes = data.model_dump(exclude_unset=True)
    for name in obligatorios:
        if name in changes and changes[name] is None:
            raise InvalidInputError(f"'{name}' no puede quedar vacío", field=name)
    return changes
