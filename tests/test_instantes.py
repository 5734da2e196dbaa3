"""Contract §10: every timestamp goes out with the business time zone's offset, in one
style; date-only facts stay dates."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx

MakeCliente = Callable[..., dict[str, Any]]
MADRID = ZoneInfo("Europe/Madrid")
INSTANT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?[+-]\d{2}:\d{2}$")
DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _strings(node: Any, path: str = "") -> Iterator[tuple[str, str]]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _strings(value, f"{path}.{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _strings(value, f"{path}[{i}]")
    elif isinstance(node, str):
        yield path, node


def test_every_instant_carries_madrids_offset(api: httpx.Client, make_cliente: MakeCliente) -> None:
    cliente = make_cliente(fecha_primer_contacto="2025-07-01T10:00:00Z")
    url = f"/api/clientes/{cliente['id']}"
    api.post(url + "/contactos", json={"nombre_completo": "Ana Ruiz", "rol": "Gerente"})
    api.post(
        url + "/actividades", json={"tipo": "nota", "titulo": "x", "fecha": "2026-01-10T09:00:00Z"}
    )
    api.post(
        url + "/oportunidades",
        json={"nombre_proyecto": "P", "monto_estimado": 1, "fecha_cierre_estimada": "2026-03-01"},
    )
    api.post(
        "/api/facturas/importar",
        json=[
            {
                "id": "fac_tz_1",
                "numero": "1",
                "cliente_id": cliente["id"],
                "fecha_emision": "2025-12-12",
                "base_imponible": 10,
                "total": 12.1,
            }
        ],
    )
    bodies = [
        api.get(url).json(),
        api.get(url + "/exportar").json(),
        api.get(url + "/recomendaciones").json(),
        api.get(url + "/actividades").json(),
    ]

    instants = 0
    for body in bodies:
        for path, value in _strings(body):
            if "T" in value and value[:4].isdigit() and value[4:5] == "-":
                assert INSTANT.match(value), f"{path}: {value}"
                parsed = datetime.fromisoformat(value)
                assert parsed.utcoffset() == parsed.astimezone(MADRID).utcoffset(), path
                instants += 1
            assert not value.endswith("Z") or not value[:4].isdigit(), f"{path}: {value}"
    assert instants > 10
    export = bodies[1]
    assert export["cliente"]["fecha_primer_contacto"] == "2025-07-01T12:00:00+02:00"
    factura = export["facturas"][0]
    assert DAY.match(factura["fecha_emision"])
    assert date.fromisoformat(factura["fecha_emision"]) == date(2025, 12, 12)
    # The invoice's timeline entry is the invoice's day in Madrid, not a UTC instant.
    entrada = next(a for a in export["actividades"] if a["tipo"] == "factura")
    assert entrada["fecha"].startswith("2025-12-12T00:00:00+01:00")


def test_an_instant_before_standard_time_keeps_its_exact_moment(
    api: httpx.Client, make_cliente: MakeCliente
) -> None:
    """Madrid's offset until 1901 was -00:14:44, which ±HH:MM cannot carry: read as -00:14,
    the instant moved by 44 seconds. Such an instant goes out in UTC, exactly."""
    cliente = make_cliente()
    url = f"/api/clientes/{cliente['id']}/actividades"
    for enviada in ("1850-06-01T12:00:00", "1850-06-01T12:00:00+01:00"):
        creada = api.post(url, json={"tipo": "nota", "titulo": "x", "fecha": enviada})
        assert creada.status_code == 201, creada.text
        leida = creada.json()["fecha"]
        momento = datetime.fromisoformat(enviada)
        if momento.tzinfo is None:
            momento = momento.replace(tzinfo=MADRID)  # naive input: the business zone
        assert datetime.fromisoformat(leida) == momento, leida
        assert leida.endswith("Z")
