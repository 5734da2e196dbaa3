"""Contacts of a client (contract §2): CRUD, one principal per client, validation, 404s."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.api_helpers import assert_invalid, assert_problem, count_rows
from tests.conftest import Backend

MakeCliente = Callable[..., dict[str, Any]]


def url_of(cliente: dict[str, Any]) -> str:
    return f"/api/clientes/{cliente['id']}/contactos"


def crear(api: httpx.Client, cliente: dict[str, Any], **fields: Any) -> dict[str, Any]:
    body = {"nombre_completo": "María López Ruiz", "rol": "Contable", **fields}
    response = api.post(url_of(cliente), json=body)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


def principales(api: httpx.Client, cliente: dict[str, Any]) -> list[str]:
    contactos = api.get(url_of(cliente)).json()
    return [c["nombre_completo"] for c in contactos if c["es_contacto_principal"]]


def test_create_contact_normalises_email_and_phones(
    api: httpx.Client, make_cliente: MakeCliente
) -> None:
    cliente = make_cliente()

    body = crear(
        api,
        cliente,
        email="Maria.Lopez@TechCorp.ES",
        telefono="91 123 45 67",
        telefono_whatapp="+34 666 123 456",
        es_contacto_financiero=True,
    )

    assert body["cliente_id"] == cliente["id"]
    assert body["email"] == "maria.lopez@techcorp.es"
    assert body["telefono"] == "+34911234567"
    assert body["telefono_whatsapp"] == "+34666123456"
    assert "telefono_whatapp" not in body
    assert body["es_contacto_financiero"] is True
    assert body["es_contacto_principal"] is False
    assert body["fecha_última_interaccion"] is None


def test_whatsapp_accepts_the_sketchs_typo_on_input(
    api: httpx.Client, make_cliente: MakeCliente
) -> None:
    body = crear(api, make_cliente(), telefono_whatsapp="666 123 456")
    assert body["telefono_whatsapp"] == "+34666123456"

    contacto_id = body["id"]
    cambiado = api.patch(
        f"/api/clientes/{body['cliente_id']}/contactos/{contacto_id}",
        json={"telefono_whatapp": "666 000 111"},
    )
    assert cambiado.status_code == 200, cambiado.text
    assert cambiado.json()["telefono_whatsapp"] == "+34666000111"


def test_contact_list_is_a_plain_array_principal_first(
    api: httpx.Client, make_cliente: MakeCliente
) -> None:
    cliente = make_cliente()
    crear(api, cliente, nombre_completo="Ana")
    crear(api, cliente, nombre_completo="Zoe", es_contacto_principal=True)

    response = api.get(url_of(cliente))

    assert response.status_code == 200
    assert isinstance(response.json(), list)
    assert [c["nombre_completo"] for c in response.json()] == ["Zoe", "Ana"]


def test_second_principal_on_post_clears_the_first(
    api: httpx.Client, make_cliente: MakeCliente
) -> None:
    cliente, otro = make_cliente(), make_cliente()
    crear(api, otro, nombre_completo="Principal de otro", es_contacto_principal=True)
    crear(api, cliente, nombre_completo="Primera", es_contacto_principal=True)

    crear(api, cliente, nombre_completo="Segunda", es_contacto_principal=True)

    assert principales(api, cliente) == ["Segunda"]
    assert principales(api, otro) == ["Principal de otro"]


def test_second_principal_on_patch_clears_the_first(
    api: httpx.Client, make_cliente: MakeCliente
) -> None:
    cliente = make_cliente()
    crear(api, cliente, nombre_completo="Primera", es_contacto_principal=True)
    segunda = crear(api, cliente, nombre_completo="Segunda")

    response = api.patch(f"{url_of(cliente)}/{segunda['id']}", json={"es_contacto_principal": True})

    assert response.status_code == 200, response.text
    assert response.json()["es_contacto_principal"] is True
    assert principales(api, cliente) == ["Segunda"]


def test_get_patch_and_delete_a_contact(api: httpx.Client, make_cliente: MakeCliente) -> None:
    cliente = make_cliente()
    contacto = crear(api, cliente)
    url = f"{url_of(cliente)}/{contacto['id']}"

    assert api.get(url).json()["nombre_completo"] == "María López Ruiz"
    patched = api.patch(url, json={"rol": "Directora financiera", "telefono": "+34 600 000 001"})
    assert patched.status_code == 200, patched.text
    assert patched.json()["rol"] == "Directora financiera"
    assert patched.json()["telefono"] == "+34600000001"
    assert patched.json()["nombre_completo"] == "María López Ruiz"

    assert api.delete(url).status_code == 204
    assert_problem(api.get(url), 404)
    assert api.get(url_of(cliente)).json() == []


def test_deleting_a_contact_keeps_its_activities(
    api: httpx.Client, make_cliente: MakeCliente
) -> None:
    cliente = make_cliente()
    contacto = crear(api, cliente)
    actividades = f"/api/clientes/{cliente['id']}/actividades"
    api.post(actividades, json={"tipo": "llamada", "titulo": "Hola", "contacto_id": contacto["id"]})

    assert api.delete(f"{url_of(cliente)}/{contacto['id']}").status_code == 204

    [actividad] = api.get(actividades).json()
    assert actividad["titulo"] == "Hola"
    assert actividad["contacto_id"] is None


@pytest.mark.parametrize(
    ("campo", "value"),
    [
        ("nombre_completo", None),
        ("nombre_completo", "x" * 201),
        ("rol", ""),
        ("email", "maria@"),
        ("telefono", "123"),
        ("fecha_última_interaccion", "2026-01-01T10:00:00Z"),
        ("cliente_id", "otro"),
        ("apodo", "Mari"),
        ("rol", "Conta\u0000ble"),
    ],
)
def test_invalid_contact_is_422(
    api: httpx.Client, make_cliente: MakeCliente, campo: str, value: Any
) -> None:
    body = {"nombre_completo": "María", "rol": "Contable", campo: value}

    assert_invalid(api.post(url_of(make_cliente()), json=body), campo)


@pytest.mark.parametrize("campo", ["nombre_completo", "rol"])
def test_required_contact_fields(api: httpx.Client, make_cliente: MakeCliente, campo: str) -> None:
    body = {"nombre_completo": "María", "rol": "Contable"}
    del body[campo]

    assert_invalid(api.post(url_of(make_cliente()), json=body), campo)


def test_patch_cannot_empty_nombre(api: httpx.Client, make_cliente: MakeCliente) -> None:
    cliente = make_cliente()
    contacto = crear(api, cliente)

    response = api.patch(f"{url_of(cliente)}/{contacto['id']}", json={"nombre_completo": None})

    assert_invalid(response, "nombre_completo")


def test_contact_list_is_bounded(api: httpx.Client, make_cliente: MakeCliente) -> None:
    cliente = make_cliente()
    for n in range(3):
        crear(api, cliente, nombre_completo=f"P{n}")

    assert [c["nombre_completo"] for c in api.get(url_of(cliente), params={"limit": 2}).json()] == [
        "P0",
        "P1",
    ]
    assert len(api.get(url_of(cliente), params={"skip": 2}).json()) == 1
    assert_invalid(api.get(url_of(cliente), params={"limit": 101}), "limit")


def test_contact_of_another_client_is_404(api: httpx.Client, make_cliente: MakeCliente) -> None:
    cliente, otro = make_cliente(), make_cliente()
    ajeno = crear(api, otro)
    url = f"{url_of(cliente)}/{ajeno['id']}"

    assert_problem(api.get(url), 404)
    assert_problem(api.patch(url, json={"rol": "Jefe"}), 404)
    assert_problem(api.delete(url), 404)
    assert api.get(f"{url_of(otro)}/{ajeno['id']}").json()["rol"] == "Contable"


def test_unknown_contact_is_404(api: httpx.Client, make_cliente: MakeCliente) -> None:
    url = f"{url_of(make_cliente())}/no-existe"

    assert_problem(api.get(url), 404)
    assert_problem(api.patch(url, json={"rol": "Jefe"}), 404)
    assert_problem(api.delete(url), 404)


def test_contacts_of_unknown_client_are_404_and_nothing_is_written(
    api: httpx.Client, db: Backend
) -> None:
    url = "/api/clientes/no-existe/contactos"

    assert_problem(api.post(url, json={"nombre_completo": "María", "rol": "Contable"}), 404)
    assert_problem(api.get(url), 404)
    assert count_rows(db.engine, "contactos_extended") == 0
