"""The ficha's edit forms over HTTP: what the user empties is emptied, what cannot be empty
is refused next to its field, and money is read the Spanish way in every form."""

from __future__ import annotations

from typing import Any

import httpx

from .conftest import enviar


def test_emptying_optional_client_fields_clears_them(
    panel: httpx.Client, api: httpx.Client, make_cliente: Any
) -> None:
    c = make_cliente(telefono="+34 976 123 456", ciudad="Zaragoza", notas="Paga tarde")
    ruta = f"/clientes/{c['id']}"
    formulario = {
        "nombre_empresa": c["nombre_empresa"],
        "email": c["email"],
        "telefono": "",
        "cif_nif": "",
        "direccion": "",
        "ciudad": "",
        "sector_industria": "",
        "tamaño_empresa": "",
        "notas": "",
    }
    response = enviar(panel, ruta, f"{ruta}/editar", formulario)
    assert response.status_code == 303
    assert "Datos del cliente guardados" in panel.get(ruta).text
    cliente = api.get(f"/api/clientes/{c['id']}").json()
    assert (cliente["telefono"], cliente["ciudad"], cliente["notas"]) == (None, None, None)
    assert cliente["nombre_empresa"] == c["nombre_empresa"]


def test_emptying_a_required_client_field_is_an_error_next_to_it(
    panel: httpx.Client, api: httpx.Client, make_cliente: Any
) -> None:
    c = make_cliente(ciudad="Zaragoza")
    ruta = f"/clientes/{c['id']}"
    response = enviar(
        panel,
        ruta,
        f"{ruta}/editar",
        {"nombre_empresa": "  ", "email": c["email"], "ciudad": "Huesca"},
    )
    assert response.status_code == 422
    assert 'id="editar-nombre_empresa-error"' in response.text
    assert "no puede quedar vacío" in response.text
    assert 'value="Huesca"' in response.text  # what was typed stays
    assert "Datos del cliente guardados" not in response.text
    cliente = api.get(f"/api/clientes/{c['id']}").json()
    assert cliente["nombre_empresa"] == c["nombre_empresa"] and cliente["ciudad"] == "Zaragoza"


def test_the_contact_edit_form_clears_and_refuses_the_same_way(
    panel: httpx.Client, api: httpx.Client, make_cliente: Any
) -> None:
    c = make_cliente()["id"]
    contacto = api.post(
        f"/api/clientes/{c}/contactos",
        json={
            "nombre_completo": "Ana Ruiz",
            "rol": "Contable",
            "email": "ana@ejemplo.es",
            "telefono": "+34 600 000 000",
        },
    ).json()
    ruta, accion = f"/clientes/{c}", f"/clientes/{c}/contactos/{contacto['id']}"
    vacio = {"nombre_completo": "Ana Ruiz", "rol": "", "email": "", "telefono": ""}
    mal = enviar(panel, ruta, accion, vacio)
    assert mal.status_code == 422
    assert f'id="contacto-{contacto["id"]}-rol-error"' in mal.text
    assert "no puede quedar vacío" in mal.text
    assert api.get(f"/api/clientes/{c}/contactos/{contacto['id']}").json()["rol"] == "Contable"

    bien = enviar(panel, ruta, accion, {**vacio, "rol": "Gerente"})
    assert bien.status_code == 303
    editado = api.get(f"/api/clientes/{c}/contactos/{contacto['id']}").json()
    assert (editado["rol"], editado["email"], editado["telefono"]) == ("Gerente", None, None)


def test_every_money_field_reads_spanish_amounts(
    panel: httpx.Client, api: httpx.Client, make_cliente: Any
) -> None:
    c = make_cliente()["id"]
    ruta = f"/clientes/{c}"
    for texto in ("1500,50", "1.234,56", "1.500", "2500.75", "3 000 €"):
        response = enviar(
            panel,
            ruta,
            f"{ruta}/oportunidades",
            {"nombre_proyecto": f"Proyecto {texto}", "monto_estimado": texto},
        )
        assert response.status_code == 303, (texto, response.text[-2000:])
    importes = {
        o["nombre_proyecto"]: o["monto_estimado"]
        for o in api.get(f"/api/clientes/{c}/oportunidades").json()
    }
    assert importes == {
        "Proyecto 1500,50": 1500.5,
        "Proyecto 1.234,56": 1234.56,
        "Proyecto 1.500": 1500,
        "Proyecto 2500.75": 2500.75,
        "Proyecto 3 000 €": 3000,
    }
    # The field is text (a number input would send nothing for "1.234,56").
    assert 'name="monto_estimado" type="text"' in panel.get(ruta).text

    mal = enviar(
        panel, ruta, f"{ruta}/oportunidades", {"nombre_proyecto": "X", "monto_estimado": "mucho"}
    )
    assert mal.status_code == 422 and 'id="oportunidad-monto_estimado-error"' in mal.text
    assert "debe ser un importe" in mal.text

    # Closing as won reads them the same way, and refuses what the API refuses.
    op = next(o for o in api.get(f"/api/clientes/{c}/oportunidades").json())
    cerrar = f"{ruta}/oportunidades/{op['id']}/cerrar"
    tres = enviar(panel, ruta, cerrar, {"resultado": "ganada", "valor_final": "10,555"})
    assert tres.status_code == 422 and "2 decimales" in tres.text
    ganada = enviar(panel, ruta, cerrar, {"resultado": "ganada", "valor_final": "1.234"})
    assert ganada.status_code == 303
    assert api.get(f"/api/clientes/{c}/oportunidades/{op['id']}").json()["valor_ganado"] == 1234
