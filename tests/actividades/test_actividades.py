"""The activity timeline (contract §2): seed body, order, filters, validation, contacts."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from tests.api_helpers import (
    SEED_ACTIVIDAD,
    assert_invalid,
    assert_problem,
    count_rows,
    instant,
)
from tests.conftest import Backend

MakeCliente = Callable[..., dict[str, Any]]
NOW = datetime(2026, 6, 15, 9, 30, tzinfo=UTC)


def url_of(cliente: dict[str, Any]) -> str:
    return f"/api/clientes/{cliente['id']}/actividades"


def registrar(api: httpx.Client, cliente: dict[str, Any], **fields: Any) -> dict[str, Any]:
    body = {"tipo": "llamada", "titulo": "Llamada", **fields}
    response = api.post(url_of(cliente), json=body)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


def titulos(api: httpx.Client, cliente: dict[str, Any], **params: Any) -> list[str]:
    response = api.get(url_of(cliente), params=params)
    assert response.status_code == 200, response.text
    return [a["titulo"] for a in response.json()]


def contacto(api: httpx.Client, cliente: dict[str, Any]) -> dict[str, Any]:
    body = {"nombre_completo": "María López", "rol": "Contable"}
    result: dict[str, Any] = api.post(f"/api/clientes/{cliente['id']}/contactos", json=body).json()
    return result


def test_seed_register_activity_example_works_unchanged(
    api: httpx.Client, db: Backend, make_cliente: MakeCliente
) -> None:
    db.clock.set(NOW)
    cliente = make_cliente(id="abc123")

    response = api.post("/api/clientes/abc123/actividades", json=SEED_ACTIVIDAD)

    assert response.status_code == 201, response.text
    body = response.json()
    assert body["cliente_id"] == cliente["id"]
    assert body["tipo"] == "reunión"
    assert body["titulo"] == "Junta trimestral"
    assert body["duración_minutos"] == 90
    assert body["responsable"] == "Tu nombre"
    assert body["completada"] is False
    assert instant(body["fecha"]) == NOW
    assert api.get(f"{url_of(cliente)}/{body['id']}").json()["titulo"] == "Junta trimestral"


def test_ascii_spellings_are_accepted(api: httpx.Client, make_cliente: MakeCliente) -> None:
    body = registrar(api, make_cliente(), tipo="reunion", duracion_minutos=45)

    assert body["tipo"] == "reunión"
    assert body["duración_minutos"] == 45
    assert "duracion_minutos" not in body


@pytest.mark.parametrize(
    ("naive", "utc"),
    [
        ("2026-06-01T10:00:00", datetime(2026, 6, 1, 8, 0, tzinfo=UTC)),
        ("2026-01-15T10:00:00", datetime(2026, 1, 15, 9, 0, tzinfo=UTC)),
    ],
)
def test_naive_fecha_is_read_as_madrid_time(
    api: httpx.Client, make_cliente: MakeCliente, naive: str, utc: datetime
) -> None:
    body = registrar(api, make_cliente(), fecha=naive)

    assert instant(body["fecha"]) == utc


def test_timeline_is_newest_first_with_skip_and_limite(
    api: httpx.Client, make_cliente: MakeCliente
) -> None:
    cliente = make_cliente()
    for day in (3, 1, 5, 2, 4):
        registrar(api, cliente, titulo=f"día {day}", fecha=f"2026-05-0{day}T10:00:00+02:00")

    assert titulos(api, cliente) == ["día 5", "día 4", "día 3", "día 2", "día 1"]
    assert titulos(api, cliente, limite=2) == ["día 5", "día 4"]
    assert titulos(api, cliente, limite=2, skip=2) == ["día 3", "día 2"]


def test_timeline_default_page_is_20(api: httpx.Client, make_cliente: MakeCliente) -> None:
    cliente = make_cliente()
    for n in range(21):
        registrar(api, cliente, titulo=f"n{n}", fecha=f"2026-05-01T10:{n:02d}:00Z")

    assert len(titulos(api, cliente)) == 20
    assert len(titulos(api, cliente, limite=100)) == 21


@pytest.mark.parametrize(("name", "value"), [("limite", 0), ("limite", 101), ("skip", -1)])
def test_timeline_bounds_are_422(
    api: httpx.Client, make_cliente: MakeCliente, name: str, value: int
) -> None:
    assert_invalid(api.get(url_of(make_cliente()), params={name: value}), name)


def test_timeline_filters_by_tipo_and_open_tasks(
    api: httpx.Client, make_cliente: MakeCliente
) -> None:
    cliente = make_cliente()
    registrar(api, cliente, tipo="llamada", titulo="Llamada")
    registrar(api, cliente, tipo="reunión", titulo="Reunión")
    registrar(api, cliente, tipo="tarea", titulo="Tarea abierta")
    cerrada = registrar(api, cliente, tipo="tarea", titulo="Tarea cerrada")
    patched = api.patch(f"{url_of(cliente)}/{cerrada['id']}", json={"completada": True})
    assert patched.status_code == 200, patched.text

    assert titulos(api, cliente, tipo="reunion") == ["Reunión"]
    assert sorted(titulos(api, cliente, tipo="tarea")) == ["Tarea abierta", "Tarea cerrada"]
    assert titulos(api, cliente, pendientes="true") == ["Tarea abierta"]
    assert len(titulos(api, cliente, pendientes="false")) == 4
    assert_invalid(api.get(url_of(cliente), params={"tipo": "fiesta"}), "tipo")


@pytest.mark.parametrize("tipo", ["factura", "pago"])
def test_invoice_and_payment_activities_are_refused(
    api: httpx.Client, db: Backend, make_cliente: MakeCliente, tipo: str
) -> None:
    cliente = make_cliente()
    nota = registrar(api, cliente, tipo="nota")

    assert_invalid(api.post(url_of(cliente), json={"tipo": tipo, "titulo": "Falsa"}), "tipo")
    assert_invalid(api.patch(f"{url_of(cliente)}/{nota['id']}", json={"tipo": tipo}), "tipo")
    assert count_rows(db.engine, "actividades_extended") == 1


def test_the_hooks_own_entries_are_a_conflict_to_edit_or_delete(
    api: httpx.Client, make_cliente: MakeCliente
) -> None:
    cliente = make_cliente()
    factura = {
        "id": "fac_act_1",
        "numero": "2026/1",
        "cliente_id": cliente["id"],
        "fecha_emision": "2026-01-10",
        "base_imponible": 100,
        "total": 121,
    }
    assert api.post("/api/facturas/importar", json=[factura]).status_code == 200
    entrada = next(a for a in api.get(url_of(cliente)).json() if a["tipo"] == "factura")
    url = f"{url_of(cliente)}/{entrada['id']}"

    assert_problem(api.patch(url, json={"titulo": "Otra cosa"}), 409)
    assert_problem(api.delete(url), 409)
    assert api.get(url).json()["titulo"] == entrada["titulo"]


def test_contacto_id_must_belong_to_the_client(
    api: httpx.Client, db: Backend, make_cliente: MakeCliente
) -> None:
    cliente, otro = make_cliente(), make_cliente()
    ajeno = contacto(api, otro)
    nota = registrar(api, cliente, tipo="nota")

    for contacto_id in (ajeno["id"], "no-existe"):
        body = {"tipo": "llamada", "titulo": "x", "contacto_id": contacto_id}
        assert_invalid(api.post(url_of(cliente), json=body), "contacto_id")
        patch = api.patch(f"{url_of(cliente)}/{nota['id']}", json={"contacto_id": contacto_id})
        assert_invalid(patch, "contacto_id")
    assert count_rows(db.engine, "actividades_extended") == 1


def test_activity_with_a_contact_sets_its_last_interaction(
    api: httpx.Client, db: Backend, make_cliente: MakeCliente
) -> None:
    db.clock.set(NOW)
    cliente = make_cliente()
    maria = contacto(api, cliente)
    contacto_url = f"/api/clientes/{cliente['id']}/contactos/{maria['id']}"

    registrar(api, cliente, contacto_id=maria["id"], fecha="2026-06-10T12:00:00+02:00")
    first = api.get(contacto_url).json()["fecha_última_interaccion"]
    registrar(api, cliente, contacto_id=maria["id"], fecha="2026-06-01T12:00:00+02:00")
    after_older = api.get(contacto_url).json()["fecha_última_interaccion"]

    assert instant(first) == datetime(2026, 6, 10, 10, 0, tzinfo=UTC)
    assert instant(after_older) == instant(first)


def test_patch_and_delete_an_activity(api: httpx.Client, make_cliente: MakeCliente) -> None:
    cliente = make_cliente()
    actividad = registrar(api, cliente, tipo="tarea", titulo="Enviar presupuesto")
    url = f"{url_of(cliente)}/{actividad['id']}"

    response = api.patch(url, json={"completada": True, "resultado": "Enviado"})

    assert response.status_code == 200, response.text
    assert response.json()["completada"] is True
    assert response.json()["resultado"] == "Enviado"
    assert response.json()["titulo"] == "Enviar presupuesto"
    assert_invalid(api.patch(url, json={"titulo": None}), "titulo")
    assert api.delete(url).status_code == 204
    assert_problem(api.get(url), 404)


@pytest.mark.parametrize(
    ("campo", "value"),
    [
        ("titulo", "x" * 201),
        ("duración_minutos", -5),
        ("fecha", "ayer"),
        ("fecha_creacion", "2026-01-01T00:00:00Z"),
        ("cliente_id", "otro"),
        ("tipo", "fiesta"),
        ("contacto_id", "a\u0000"),
        ("fecha", "0001-01-01T00:00:00+05:00"),
    ],
)
def test_invalid_activity_is_422(
    api: httpx.Client, make_cliente: MakeCliente, campo: str, value: Any
) -> None:
    body = {"tipo": "llamada", "titulo": "Llamada", campo: value}

    assert_invalid(api.post(url_of(make_cliente()), json=body), campo)


def test_unknown_or_foreign_activity_is_404(api: httpx.Client, make_cliente: MakeCliente) -> None:
    cliente, otro = make_cliente(), make_cliente()
    ajena = registrar(api, otro)

    for actividad_id in ("no-existe", ajena["id"]):
        url = f"{url_of(cliente)}/{actividad_id}"
        assert_problem(api.get(url), 404)
        assert_problem(api.patch(url, json={"titulo": "x"}), 404)
        assert_problem(api.delete(url), 404)
    assert api.get(f"{url_of(otro)}/{ajena['id']}").status_code == 200


def test_activities_of_unknown_client_are_404_and_nothing_is_written(
    api: httpx.Client, db: Backend
) -> None:
    url = "/api/clientes/no-existe/actividades"

    assert_problem(api.post(url, json=SEED_ACTIVIDAD), 404)
    assert_problem(api.get(url), 404)
    assert count_rows(db.engine, "actividades_extended") == 0
