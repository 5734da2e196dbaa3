"""GDPR (contract §2): portability export and erasure of a client and everything about it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from tests.api_helpers import SEED_CLIENTE, assert_problem, count_rows
from tests.conftest import Backend

MakeCliente = Callable[..., dict[str, Any]]
TABLES = (
    "contactos_extended",
    "actividades_extended",
    "oportunidades_extended",
    "salud_cliente_extended",
)


def poblar(api: httpx.Client, cliente_id: str, actividades: int = 12) -> None:
    """Two contacts, `actividades` activities (one with a contact), two opportunities."""
    url = f"/api/clientes/{cliente_id}"
    maria = api.post(
        url + "/contactos",
        json={"nombre_completo": "María López", "rol": "Contable", "es_contacto_principal": True},
    ).json()
    api.post(url + "/contactos", json={"nombre_completo": "Juan Pérez", "rol": "Gerente"})
    for n in range(actividades):
        body = {"tipo": "nota", "titulo": f"Nota {n}", "fecha": f"2026-04-{n + 1:02d}T10:00:00Z"}
        if n == 0:
            body["contacto_id"] = maria["id"]
        assert api.post(url + "/actividades", json=body).status_code == 201
    api.post(url + "/oportunidades", json={"nombre_proyecto": "Abierta", "monto_estimado": 10})
    cerrada = api.post(
        url + "/oportunidades", json={"nombre_proyecto": "Cerrada", "monto_estimado": 20}
    ).json()
    api.put(f"/api/clientes/oportunidades/{cerrada['id']}/perdida", params={"motivo": "precio"})


def test_export_contains_every_fact_about_the_client(
    api: httpx.Client, make_cliente: MakeCliente
) -> None:
    cliente = make_cliente(**SEED_CLIENTE)
    otro = make_cliente()
    poblar(api, cliente["id"], actividades=12)
    poblar(api, otro["id"], actividades=1)

    response = api.get(f"/api/clientes/{cliente['id']}/exportar")

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["cliente"]["id"] == cliente["id"]
    assert body["cliente"]["email"] == "info@techcorp.es"
    assert body["cliente"]["tamaño_empresa"] == "mediana"
    assert sorted(c["nombre_completo"] for c in body["contactos"]) == ["Juan Pérez", "María López"]
    assert sorted(a["titulo"] for a in body["actividades"]) == sorted(
        f"Nota {n}" for n in range(12)
    )
    assert sorted(o["nombre_proyecto"] for o in body["oportunidades"]) == ["Abierta", "Cerrada"]
    assert {o["cliente_id"] for o in body["oportunidades"]} == {cliente["id"]}
    assert body["salud"]["cliente_id"] == cliente["id"]
    assert body["facturas"] == []
    # What the CRM concluded about the client is about the client too: its alerts and the
    # next steps suggested, as `/recomendaciones` gives them.
    recomendaciones = api.get(f"/api/clientes/{cliente['id']}/recomendaciones").json()
    assert body["recomendaciones"] == recomendaciones
    assert "oportunidad_estancada" in {a["tipo"] for a in body["recomendaciones"]["alertas"]}


def test_export_names_an_invoice_by_its_id_as_the_hook_does(
    api: httpx.Client, make_cliente: MakeCliente
) -> None:
    cliente = make_cliente()
    factura = {
        "id": "fac_rgpd_1",
        "numero": "2025/0001",
        "cliente_id": cliente["id"],
        "fecha_emision": "2025-12-12",
        "base_imponible": 100,
        "total": 121,
    }
    assert api.post("/api/facturas/importar", json=[factura]).status_code == 200

    facturas = api.get(f"/api/clientes/{cliente['id']}/exportar").json()["facturas"]

    assert [f["id"] for f in facturas] == ["fac_rgpd_1"]
    assert "factura_id" not in facturas[0]


def test_erasure_removes_the_client_and_everything_about_it(
    api: httpx.Client, db: Backend, make_cliente: MakeCliente
) -> None:
    cliente, otro = make_cliente(), make_cliente()
    poblar(api, cliente["id"])
    poblar(api, otro["id"], actividades=2)
    url = f"/api/clientes/{cliente['id']}"
    contacto_id = api.get(url + "/contactos").json()[0]["id"]

    response = api.delete(url)

    assert response.status_code == 204
    assert response.content == b""
    for path in (
        url,
        url + "/exportar",
        url + "/contactos",
        f"{url}/contactos/{contacto_id}",
        url + "/actividades",
        url + "/oportunidades",
    ):
        assert_problem(api.get(path), 404)
    for table in TABLES:
        assert count_rows(db.engine, table, cliente["id"]) == 0, table
    assert count_rows(db.engine, "clientes_extended") == 1
    assert count_rows(db.engine, "actividades_extended", otro["id"]) == 2
    assert len(api.get(f"/api/clientes/{otro['id']}/contactos").json()) == 2


def test_erasure_frees_the_email_and_cif_for_a_new_client(
    api: httpx.Client, make_cliente: MakeCliente
) -> None:
    cliente = make_cliente(email="uno@acme.es", cif_nif="B12345674")

    assert api.delete(f"/api/clientes/{cliente['id']}").status_code == 204

    again = api.post(
        "/api/clientes/",
        json={"nombre_empresa": "Acme", "email": "uno@acme.es", "cif_nif": "B12345674"},
    )
    assert again.status_code == 201, again.text


def test_erasing_an_unknown_client_is_404(api: httpx.Client) -> None:
    assert_problem(api.delete("/api/clientes/no-existe"), 404)
