"""Query parameters an operation does not declare, or one it takes once given twice, are
refused (contract §2: the client list takes its parameters, "anything else 422"), on every
operation behind the API key (`require_api_key` calls this after the key). The signed
webhook is not checked: an event from SmartBilling is never refused for what its address
carries.

Ignoring them silently hid mistakes: `?limite=10` on the client list (which takes `limit`)
answered 50 clients, and `?valor_fnal=900` on a won opportunity marked it won without
its final value. A 422 names the parameter and what the operation takes instead.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, get_args, get_origin

from fastapi import Request

from smartbilling_crm.kit.excepciones import InvalidInputError

# By the identity of the route's `Dependant` (routes and dependants are unhashable
# dataclasses), which each entry keeps alive so its id is never reused: the names it
# declares, and those of them that take one value.
_DECLARADOS: dict[int, tuple[Any, frozenset[str], frozenset[str]]] = {}
_COLECCIONES = (list, tuple, set, frozenset)


def _campos(dependant: Any) -> Iterator[Any]:
    """The query parameters an operation reads, its dependencies' included."""
    yield from dependant.query_params
    for dependencia in dependant.dependencies:
        yield from _campos(dependencia)


def _un_valor(campo: Any) -> bool:
    """Whether a parameter takes one value (`str`, `int | None`), not a list of them."""
    anotacion = campo.field_info.annotation
    return not any(
        t in _COLECCIONES or get_origin(t) in _COLECCIONES
        for t in (anotacion, *get_args(anotacion))
    )


def _de(ruta: Any) -> tuple[Any, frozenset[str], frozenset[str]]:
    dependant = ruta.dependant
    guardado = _DECLARADOS.get(id(dependant))
    if guardado is None or guardado[0] is not dependant:
        campos = list(_campos(dependant))
        guardado = _DECLARADOS[id(dependant)] = (
            dependant,
            frozenset(c.alias for c in campos),
            frozenset(c.alias for c in campos if _un_valor(c)),
        )
    return guardado


def declarados(ruta: Any) -> frozenset[str]:
    """The names the route's OpenAPI operation declares (`in: query`), once per route."""
    return _de(ruta)[1]


def rechazar_desconocidos(request: Request) -> None:
    """422 naming every query parameter the matched operation does not take, and every
    one it takes once that came more than once."""
    if not request.scope.get("query_string"):
        return  # the usual case: nothing to look at
    ruta = request.scope.get("route")
    if ruta is None or not hasattr(ruta, "dependant"):
        return
    _, admitidos, de_un_valor = _de(ruta)
    desconocidos = sorted({n for n in request.query_params if n not in admitidos})
    # `?estado=vip&estado=prospecto` answered the prospects alone: the last one won.
    repetidos = sorted(
        n
        for n in set(request.query_params) & de_un_valor
        if len(request.query_params.getlist(n)) > 1
    )
    if not desconocidos and not repetidos:
        return
    if admitidos:
        lista = ", ".join(f"'{n}'" for n in sorted(admitidos))
        mensaje = f"parámetro desconocido; esta operación admite {lista}"
    else:
        mensaje = "parámetro desconocido; esta operación no admite parámetros en la URL"
    errores = [
        {"campo": n, "mensaje": mensaje, "tipo": "parametro_desconocido"} for n in desconocidos
    ]
    repetido = "parámetro repetido; admite un solo valor"
    errores += [{"campo": n, "mensaje": repetido, "tipo": "parametro_repetido"} for n in repetidos]
    partes = []
    if desconocidos:  # `?=1` has no name
        partes.append(", ".join(n or "(sin nombre)" for n in desconocidos) + f": {mensaje}")
    if repetidos:
        partes.append(", ".join(repetidos) + f": {repetido}")
    detalle = "; ".join(partes)
    raise InvalidInputError(f"Datos no válidos: {detalle}", errors=errores)
