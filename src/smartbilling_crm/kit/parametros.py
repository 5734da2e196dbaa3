"""Query parameters an operation does not declare are refused (contract §2: the client
list takes its parameters, "anything else 422"), on every operation behind the API key
(`require_api_key` calls this after the key). The signed webhook is not checked: an event
from SmartBilling is never refused for what its address carries.

Ignoring them silently hid mistakes: `?limite=10` on the client list (which takes `limit`)
answered 50 clients, and `?valor_fnal=900` on a won opportunity marked it won without
its final value. A 422 names the parameter and what the operation takes instead.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from fastapi import Request

from smartbilling_crm.kit.excepciones import InvalidInputError

# By the identity of the route's `Dependant` (routes and dependants are unhashable
# dataclasses), which each entry keeps alive so its id is never reused.
_DECLARADOS: dict[int, tuple[Any, frozenset[str]]] = {}


def _nombres(dependant: Any) -> Iterator[str]:
    """The query parameters an operation reads, its dependencies' included."""
    for campo in dependant.query_params:
        yield campo.alias
    for dependencia in dependant.dependencies:
        yield from _nombres(dependencia)


def declarados(ruta: Any) -> frozenset[str]:
    """The names the route's OpenAPI operation declares (`in: query`), once per route."""
    dependant = ruta.dependant
    guardado = _DECLARADOS.get(id(dependant))
    if guardado is None or guardado[0] is not dependant:
        guardado = _DECLARADOS[id(dependant)] = (dependant, frozenset(_nombres(dependant)))
    return guardado[1]


def rechazar_desconocidos(request: Request) -> None:
    """422 naming every query parameter the matched operation does not take."""
    if not request.scope.get("query_string"):
        return  # the usual case: nothing to look at
    ruta = request.scope.get("route")
    if ruta is None or not hasattr(ruta, "dependant"):
        return
    admitidos = declarados(ruta)
    desconocidos = sorted({n for n in request.query_params if n not in admitidos})
    if not desconocidos:
        return
    if admitidos:
        lista = ", ".join(f"'{n}'" for n in sorted(admitidos))
        mensaje = f"parámetro desconocido; esta operación admite {lista}"
    else:
        mensaje = "parámetro desconocido; esta operación no admite parámetros en la URL"
    errores = [
        {"campo": n, "mensaje": mensaje, "tipo": "parametro_desconocido"} for n in desconocidos
    ]
    nombres = ", ".join(n or "(sin nombre)" for n in desconocidos)  # `?=1` has none
    raise InvalidInputError(f"Datos no válidos: {nombres}: {mensaje}", errors=errores)
