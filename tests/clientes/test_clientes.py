"""Clients (contract §0, §2): creation, validation, uniqueness, the list and the client 360."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from tests.api_helpers import (
    SEED_CLIENTE,
    assert_conflict,
    assert_invalid,
    assert_problem,
    campos,
    instant,
)
from tests.conftest import Backend

MakeCliente = Callable[..., dict[str, Any]]
READ_ONLY = [
    ("ltv", 1000),
    ("riesgo_impago", "alto"),
    ("fecha_primera_compra", "2025-01-01"),
    ("fecha_última_compra", "2025-01-01"),
    ("fecha_ultima_compra", "2025-01-01"),
    ("salud", {}),
    ("fecha_creacion", "2025-01-01T00:00:00Z"),
    ("fecha_actualizacion", "2025-01-01T00:00:00Z"),
    ("cif_nif_valido", True),
]


def crear(api: httpx.Client, **fields: Any) -> httpx.Response:
    body = {"nombre_empresa": "Acme S.L.", "email": "hola@acme.es", **fields}
    return api.post("/api/clientes/", json=body)


def listar(api: httpx.Client, **params: Any) -> dict[str, Any]:
    response = api.get("/api/clientes/", params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def nombres(listado: dict[str, Any]) -> list[str]:
    return [c["nombre_empresa"] for c in listado["clientes"]]


def set_columns(db: Backend, cliente_id: str, **values: Any) -> None:
    """Write computed columns straight to the database (they are read-only on the API)."""
    assignments = ", ".join(f"{name} = :{name}" for name in values)
    with db.engine.begin() as conn:
        conn.execute(
            text(f"UPDATE clientes_extended SET {assignments} WHERE id = :id"),
            {**values, "id": cliente_id},
        )


# --- creation -------------------------------------------------------------------------


def test_seed_create_client_example_works_unchanged(api: httpx.Client) -> None:
    response = api.post("/api/clientes/", json=SEED_CLIENTE)

    assert response.status_code == 201, response.text
    body = response.json()
    uuid.UUID(body["id"])
    assert body["nombre_empresa"] == "TechCorp S.L."
    assert body["email"] == "info@techcorp.es"
    assert body["telefono"] == "+34911234567"
    assert body["cif_nif"] == "A12345678"
    assert body["cif_nif_valido"] is False
    assert body["tamaño_empresa"] == "mediana"
    assert body["sector_industria"] == "technology"
    assert body["estado"] == "prospecto"
    assert body["riesgo_impago"] == "bajo"
    assert body["ltv"] == 0 and isinstance(body["ltv"], float)
    for campo in ("fecha_creacion", "fecha_actualizacion", "fecha_primer_contacto"):
        instant(body[campo])
    assert api.get(f"/api/clientes/{body['id']}").json()["email"] == "info@techcorp.es"


def test_output_uses_accented_wire_names(api: httpx.Client) -> None:
    body = crear(api, tamano_empresa="grande").json()

    assert body["tamaño_empresa"] == "grande"
    assert "fecha_última_compra" in body
    assert "tamano_empresa" not in body and "fecha_ultima_compra" not in body
    row = listar(api)["clientes"][0]
    assert "fecha_última_compra" in row


@pytest.mark.parametrize(
    ("sent", "stored"),
    [("pequena", "pequeña"), ("autonomo", "autónomo"), ("Pequeña", "pequeña")],
)
def test_tamano_empresa_accepts_ascii_spelling(api: httpx.Client, sent: str, stored: str) -> None:
    response = crear(api, tamano_empresa=sent)

    assert response.status_code == 201, response.text
    assert response.json()["tamaño_empresa"] == stored


def test_unknown_tamano_empresa_is_422(api: httpx.Client) -> None:
    assert_invalid(crear(api, **{"tamaño_empresa": "enorme"}), "tamaño_empresa")


def test_both_spellings_of_one_field_are_refused_saying_so(api: httpx.Client) -> None:
    response = crear(api, **{"tamaño_empresa": "grande", "tamano_empresa": "pequena"})
    assert response.status_code == 422
    assert (
        "'tamaño_empresa' y 'tamano_empresa' son el mismo campo: envía solo uno"
        in (response.json()["detail"])
    )
    assert "desconocido" not in response.json()["detail"]


def test_naive_fecha_primer_contacto_is_madrid_time(api: httpx.Client) -> None:
    body = crear(api, fecha_primer_contacto="2026-01-15T10:00:00").json()

    assert instant(body["fecha_primer_contacto"]) == datetime(2026, 1, 15, 9, 0, tzinfo=UTC)


def test_client_id_from_smartbilling_is_kept(api: httpx.Client) -> None:
    response = crear(api, id="abc123")

    assert response.status_code == 201, response.text
    assert response.json()["id"] == "abc123"
    assert api.get("/api/clientes/abc123").status_code == 200


@pytest.mark.parametrize("bad_id", ["con espacio", "x" * 65, "ñandú", "a/b", ""])
def test_client_id_outside_pattern_is_422(api: httpx.Client, bad_id: str) -> None:
    assert_invalid(crear(api, id=bad_id), "id")


@pytest.mark.parametrize("campo", ["nombre_empresa", "email"])
def test_required_fields_on_create(api: httpx.Client, campo: str) -> None:
    body = {"nombre_empresa": "Acme S.L.", "email": "hola@acme.es"}
    del body[campo]

    assert_invalid(api.post("/api/clientes/", json=body), campo)


# --- validation -------------------------------------------------------------------------


def test_email_is_stored_normalised(api: httpx.Client) -> None:
    response = crear(api, email="  Ana.Garcia@TechCorp.ES ")

    assert response.status_code == 201, response.text
    assert response.json()["email"] == "ana.garcia@techcorp.es"


@pytest.mark.parametrize("email", ["no-es-un-email", "ana@", "@techcorp.es", "ana@@x.es", ""])
def test_invalid_email_is_422_naming_email(api: httpx.Client, email: str) -> None:
    assert_invalid(crear(api, email=email), "email")


def test_cif_nif_is_stored_compact_and_uppercase(api: httpx.Client) -> None:
    body = crear(api, cif_nif="b-1234567-4").json()

    assert body["cif_nif"] == "B12345674"
    assert body["cif_nif_valido"] is True


def test_nif_with_wrong_check_digit_is_kept_and_flagged(api: httpx.Client) -> None:
    response = crear(api, cif_nif="A12345678")

    assert response.status_code == 201, response.text
    assert response.json()["cif_nif"] == "A12345678"
    assert response.json()["cif_nif_valido"] is False


@pytest.mark.parametrize(
    ("cif", "guardado"),
    [("12.345.678-z", "12345678Z"), ("x1234567l", "X1234567L"), ("ESB12345674", "B12345674")],
)
def test_other_tax_id_shapes_are_accepted(api: httpx.Client, cif: str, guardado: str) -> None:
    response = crear(api, cif_nif=cif)

    assert response.status_code == 201, response.text
    # Stored canonical: a Spanish id in EU VAT form loses its ES prefix (issue 15.6).
    assert response.json()["cif_nif"] == guardado
    assert response.json()["cif_nif_valido"] is True


@pytest.mark.parametrize("cif", ["hola", "123", "B1234567"])
def test_value_that_is_no_tax_id_is_422(api: httpx.Client, cif: str) -> None:
    assert_invalid(crear(api, cif_nif=cif), "cif_nif")


@pytest.mark.parametrize("telefono", ["+34 91 123 4567", "91 123 45 67", "0034911234567"])
def test_phone_is_stored_in_e164(api: httpx.Client, telefono: str) -> None:
    response = crear(api, telefono=telefono)

    assert response.status_code == 201, response.text
    assert response.json()["telefono"] == "+34911234567"


@pytest.mark.parametrize("telefono", ["123", "abc", "+34 1"])
def test_invalid_phone_is_422(api: httpx.Client, telefono: str) -> None:
    assert_invalid(crear(api, telefono=telefono), "telefono")


@pytest.mark.parametrize(
    ("campo", "value"),
    [
        ("nombre_empresa", "x" * 201),
        ("nombre_empresa", "   "),
        ("direccion", "x" * 501),
        ("ciudad", "x" * 101),
        ("numero_empleados", -1),
        ("margen_promedio", 101),
    ],
)
def test_lengths_and_ranges_are_bounded(api: httpx.Client, campo: str, value: Any) -> None:
    assert_invalid(crear(api, **{campo: value}), campo)


@pytest.mark.parametrize(("campo", "value"), READ_ONLY)
def test_read_only_field_is_422_on_create_and_patch(
    api: httpx.Client, make_cliente: MakeCliente, campo: str, value: Any
) -> None:
    cliente = make_cliente()

    on_create = assert_invalid(crear(api, **{campo: value}), campo)
    assert_invalid(api.patch(f"/api/clientes/{cliente['id']}", json={campo: value}), campo)

    assert campo in on_create["detail"]
    assert listar(api)["total"] == 1
    assert api.get(f"/api/clientes/{cliente['id']}").json()["ltv"] == 0


def test_unknown_field_is_422(api: httpx.Client, make_cliente: MakeCliente) -> None:
    cliente = make_cliente()

    assert_invalid(crear(api, color_favorito="azul"), "color_favorito")
    response = api.patch(f"/api/clientes/{cliente['id']}", json={"color_favorito": "azul"})
    assert_invalid(response, "color_favorito")


# --- uniqueness -------------------------------------------------------------------------


def test_duplicate_email_is_409(api: httpx.Client) -> None:
    assert crear(api, email="info@techcorp.es").status_code == 201

    assert_conflict(crear(api, email="INFO@TechCorp.es"), "email")


def test_duplicate_cif_nif_is_409(api: httpx.Client) -> None:
    assert crear(api, email="a@acme.es", cif_nif="B12345674").status_code == 201

    assert_conflict(crear(api, email="b@acme.es", cif_nif="b-1234567-4"), "cif_nif")


def test_duplicate_id_is_409(api: httpx.Client) -> None:
    assert crear(api, id="abc123", email="a@acme.es").status_code == 201

    assert_conflict(crear(api, id="abc123", email="b@acme.es"), "id")


def test_patch_to_another_clients_email_or_cif_is_409(
    api: httpx.Client, make_cliente: MakeCliente
) -> None:
    make_cliente(email="uno@acme.es", cif_nif="B12345674")
    otro = make_cliente(email="dos@acme.es")
    url = f"/api/clientes/{otro['id']}"

    assert_conflict(api.patch(url, json={"email": "Uno@acme.es"}), "email")
    assert_conflict(api.patch(url, json={"cif_nif": "B-12345674"}), "cif_nif")
    assert api.get(url).json()["email"] == "dos@acme.es"


def test_patch_keeping_own_email_is_fine(api: httpx.Client, make_cliente: MakeCliente) -> None:
    cliente = make_cliente(email="uno@acme.es")

    response = api.patch(f"/api/clientes/{cliente['id']}", json={"email": "UNO@acme.es"})

    assert response.status_code == 200, response.text


# --- PATCH -------------------------------------------------------------------------------


def test_patch_changes_only_the_given_fields(api: httpx.Client, make_cliente: MakeCliente) -> None:
    cliente = make_cliente(ciudad="Madrid", telefono="+34 91 123 4567")

    response = api.patch(
        f"/api/clientes/{cliente['id']}",
        json={"telefono": "93 123 45 67", "tamano_empresa": "pequena", "cif_nif": "b12345674"},
    )

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["telefono"] == "+34931234567"
    assert body["tamaño_empresa"] == "pequeña"
    assert body["cif_nif"] == "B12345674" and body["cif_nif_valido"] is True
    assert body["ciudad"] == "Madrid"
    assert body["nombre_empresa"] == cliente["nombre_empresa"]


@pytest.mark.parametrize("campo", ["nombre_empresa", "email"])
def test_patch_cannot_empty_a_required_field(
    api: httpx.Client, make_cliente: MakeCliente, campo: str
) -> None:
    cliente = make_cliente()

    assert_invalid(api.patch(f"/api/clientes/{cliente['id']}", json={campo: None}), campo)


def test_patch_estado_accepts_only_cliente_perdido(
    api: httpx.Client, make_cliente: MakeCliente
) -> None:
    cliente = make_cliente()
    url = f"/api/clientes/{cliente['id']}"

    for estado in ("vip", "cliente_activo", "prospecto", "cliente_dormido"):
        assert_invalid(api.patch(url, json={"estado": estado}), "estado")
    assert_invalid(api.patch(url, json={"estado": "jubilado"}), "estado")

    response = api.patch(url, json={"estado": "cliente_perdido"})
    assert response.status_code == 200, response.text
    assert response.json()["estado"] == "cliente_perdido"


def test_post_estado_accepts_what_patch_accepts(api: httpx.Client) -> None:
    """`estado` is an editable field on create as on PATCH: only `cliente_perdido` (a
    client brought over from SmartBilling already lost); the rest is the system's."""
    for n, estado in enumerate(("vip", "cliente_activo", "prospecto", "cliente_dormido")):
        body = {"nombre_empresa": "Nueva S.L.", "email": f"n{n}@nueva.es", "estado": estado}
        error = assert_invalid(api.post("/api/clientes/", json=body), "estado")
        assert "a mano solo puede marcarse 'cliente_perdido'" in error["detail"]
        assert "campo desconocido" not in str(error)
    body = {"nombre_empresa": "Nueva S.L.", "email": "x@nueva.es", "estado": "jubilado"}
    assert_invalid(api.post("/api/clientes/", json=body), "estado")
    assert api.get("/api/clientes/").json()["total"] == 0  # nothing created

    body = {"id": "perdida", "nombre_empresa": "Perdida S.L.", "email": "p@perdida.es"}
    response = api.post("/api/clientes/", json={**body, "estado": "cliente_perdido"})
    assert response.status_code == 201, response.text
    assert response.json()["estado"] == "cliente_perdido"
    assert api.get("/api/clientes/perdida").json()["estado"] == "cliente_perdido"
    # Null is no state given: the system's, as when it is left out.
    sin = {"nombre_empresa": "Sin S.L.", "email": "s@sin.es", "estado": None}
    response = api.post("/api/clientes/", json=sin)
    assert response.status_code == 201, response.text
    assert response.json()["estado"] == "prospecto"


# --- 404 --------------------------------------------------------------------------------


def test_unknown_client_is_404_everywhere(api: httpx.Client) -> None:
    url = "/api/clientes/no-existe"

    assert_problem(api.get(url), 404)
    assert_problem(api.patch(url, json={"ciudad": "Madrid"}), 404)
    assert_problem(api.delete(url), 404)
    assert_problem(api.get(url + "/exportar"), 404)


# --- list -------------------------------------------------------------------------------


def test_list_envelope_and_pagination(api: httpx.Client, make_cliente: MakeCliente) -> None:
    for nombre in ("Alfa", "Beta", "Gamma"):
        make_cliente(nombre_empresa=nombre)

    first = listar(api, limit=2, ordenar_por="nombre_empresa", orden="asc")
    rest = listar(api, limit=2, skip=2, ordenar_por="nombre_empresa", orden="asc")

    assert set(first) == {"total", "skip", "limit", "clientes"}
    assert (first["total"], first["skip"], first["limit"]) == (3, 0, 2)
    assert nombres(first) == ["Alfa", "Beta"]
    assert (rest["total"], rest["skip"], nombres(rest)) == (3, 2, ["Gamma"])
    assert listar(api)["limit"] == 50


@pytest.mark.parametrize(("name", "value"), [("limit", 101), ("limit", 0), ("skip", -1)])
def test_list_bounds_are_422(api: httpx.Client, name: str, value: int) -> None:
    assert_invalid(api.get("/api/clientes/", params={name: value}), name)


def test_list_filters_by_estado_sector_and_riesgo(
    api: httpx.Client, db: Backend, make_cliente: MakeCliente
) -> None:
    perdido = make_cliente(nombre_empresa="Perdido", sector_industria="hostelería")
    arriesgado = make_cliente(nombre_empresa="Arriesgado", sector_industria="technology")
    make_cliente(nombre_empresa="Normal", sector_industria="technology")
    api.patch(f"/api/clientes/{perdido['id']}", json={"estado": "cliente_perdido"})
    set_columns(db, arriesgado["id"], riesgo_impago="critico")

    assert nombres(listar(api, estado="cliente_perdido")) == ["Perdido"]
    assert nombres(listar(api, sector="Hostelería")) == ["Perdido"]
    assert nombres(listar(api, sector="HOSTELERÍA")) == ["Perdido"]  # not only ASCII case
    assert nombres(listar(api, sector=" hosteleria ")) == ["Perdido"]  # nor accents, nor spaces
    assert sorted(nombres(listar(api, sector="technology"))) == ["Arriesgado", "Normal"]
    assert nombres(listar(api, riesgo_impago="critico")) == ["Arriesgado"]
    assert listar(api, estado="vip")["total"] == 0
    assert_invalid(api.get("/api/clientes/", params={"estado": "feliz"}), "estado")
    assert_invalid(api.get("/api/clientes/", params={"riesgo_impago": "enorme"}), "riesgo_impago")


def test_list_sector_filter_follows_an_edited_sector(
    api: httpx.Client, make_cliente: MakeCliente
) -> None:
    cliente = make_cliente(nombre_empresa="Mudanza", sector_industria="Construcción")
    assert nombres(listar(api, sector="construccion")) == ["Mudanza"]

    assert api.patch(
        f"/api/clientes/{cliente['id']}", json={"sector_industria": "Energía"}
    ).is_success
    assert listar(api, sector="construccion")["total"] == 0
    assert nombres(listar(api, sector="ENERGIA")) == ["Mudanza"]

    assert api.patch(f"/api/clientes/{cliente['id']}", json={"sector_industria": None}).is_success
    assert listar(api, sector="energia")["total"] == 0


def test_texts_that_grow_when_folded_are_stored_and_found(
    api: httpx.Client, make_cliente: MakeCliente
) -> None:
    # "\ufdfa" unfolds to 18 letters: a 100-character sector folds to 117, a 200-character
    # name to 217, longer than their folded columns (a 500 on PostgreSQL before).
    sector = "x" * 99 + "\ufdfa"
    nombre = "N" * 199 + "\ufdfa"
    cliente = make_cliente(nombre_empresa=nombre, sector_industria=sector)

    assert nombres(listar(api, sector=sector)) == [nombre]
    assert listar(api, sector="x" * 99)["total"] == 0  # the filter stays exact
    assert [c["id"] for c in listar(api, q="n" * 150)["clientes"]] == [cliente["id"]]


@pytest.mark.parametrize(
    "q",
    [
        "panaderia", "MUNOZ", "Panadería Muñoz", "hornomunoz", "12345674", "b1234",
        # The tax id as the API reads it on input: with its VAT prefix, spaces, dashes.
        "ESB12345674", "B 12345674", "b-12.345.674", "ES B12345674",
    ],
)  # fmt: skip
def test_search_is_case_and_accent_insensitive(
    api: httpx.Client, make_cliente: MakeCliente, q: str
) -> None:
    make_cliente(
        nombre_empresa="Panadería Muñoz S.L.", email="pedidos@hornomunoz.es", cif_nif="B12345674"
    )
    make_cliente(nombre_empresa="Ferretería López", email="info@ferrelopez.es")

    found = listar(api, q=q)

    assert nombres(found) == ["Panadería Muñoz S.L."]
    assert found["total"] == 1


def test_search_wildcards_are_literal(api: httpx.Client, make_cliente: MakeCliente) -> None:
    make_cliente(nombre_empresa="Alfa")

    assert listar(api, q="%")["total"] == 0
    assert listar(api, q="_")["total"] == 0


def test_clients_never_contacted_head_the_list_by_days_without_activity(
    api: httpx.Client, db: Backend, make_cliente: MakeCliente
) -> None:
    """Never contacted (no activity: `dias_sin_actividad` null) is the longest silence:
    first when sorted descending, last ascending."""
    make_cliente(nombre_empresa="Nunca")
    for nombre, dias in (("Ayer", 1), ("Hace meses", 120)):
        cliente_id = make_cliente(nombre_empresa=nombre)["id"]
        api.post(
            f"/api/clientes/{cliente_id}/actividades",
            json={
                "tipo": "llamada",
                "titulo": "Llamada",
                "fecha": (datetime.now(UTC) - timedelta(days=dias)).isoformat(),
            },
        )

    por_silencio = {
        o: nombres(listar(api, ordenar_por="dias_sin_actividad", orden=o)) for o in ("asc", "desc")
    }
    assert por_silencio == {
        "asc": ["Ayer", "Hace meses", "Nunca"],
        "desc": ["Nunca", "Hace meses", "Ayer"],
    }


@pytest.mark.parametrize(
    "ordenar_por",
    [
        "fecha_actualizacion",
        "nombre_empresa",
        "ltv",
        "fecha_última_compra",
        "fecha_ultima_compra",
        "riesgo_perdida_score",
        "dias_sin_actividad",
    ],
)
def test_list_orders_by_each_whitelisted_column(
    api: httpx.Client, make_cliente: MakeCliente, ordenar_por: str
) -> None:
    make_cliente()
    make_cliente()

    for orden in ("asc", "desc"):
        assert listar(api, ordenar_por=ordenar_por, orden=orden)["total"] == 2


@pytest.mark.parametrize("orden", ["ASC", "Asc", " asc "])
def test_orden_ignores_case_as_ordenar_por_does(
    api: httpx.Client, db: Backend, make_cliente: MakeCliente, orden: str
) -> None:
    for nombre, ltv in (("Beta", 500), ("Alfa", 100)):
        set_columns(db, make_cliente(nombre_empresa=nombre)["id"], ltv=ltv)

    assert nombres(listar(api, ordenar_por="LTV", orden=orden)) == ["Alfa", "Beta"]


def test_orden_asc_and_desc(api: httpx.Client, db: Backend, make_cliente: MakeCliente) -> None:
    for nombre, ltv in (("Beta", 500), ("Alfa", 100), ("Gamma", 900)):
        set_columns(db, make_cliente(nombre_empresa=nombre)["id"], ltv=ltv)

    assert nombres(listar(api, ordenar_por="nombre_empresa", orden="asc")) == [
        "Alfa",
        "Beta",
        "Gamma",
    ]
    assert nombres(listar(api, ordenar_por="nombre_empresa", orden="desc")) == [
        "Gamma",
        "Beta",
        "Alfa",
    ]
    assert nombres(listar(api, ordenar_por="ltv")) == ["Gamma", "Beta", "Alfa"]
    assert [c["ltv"] for c in listar(api, ordenar_por="ltv", orden="asc")["clientes"]] == [
        100.0,
        500.0,
        900.0,
    ]


def test_names_sort_in_spanish_order_on_both_databases(
    api: httpx.Client, db: Backend, make_cliente: MakeCliente
) -> None:
    """Case and accents ignored, ñ after n, whatever the server's collation: byte order
    put "Órbita" and every lower-case name after "Zeta"."""
    espanol = ["acme S.L.", "Ébano", "Nube", "Nuñez", "Ñandú", "Oasis", "Órbita", "Zeta"]
    for nombre in ("Zeta", "Órbita", "Ñandú", "acme S.L.", "Oasis", "Nuñez", "Ébano", "Nube"):
        make_cliente(nombre_empresa=nombre)

    assert nombres(listar(api, ordenar_por="nombre_empresa", orden="asc")) == espanol
    assert nombres(listar(api, ordenar_por="nombre_empresa", orden="desc")) == espanol[::-1]
    # Page by page, the same order; a renamed client moves to its new place.
    paginas = [
        nombres(listar(api, ordenar_por="nombre_empresa", orden="asc", limit=3, skip=s))
        for s in (0, 3, 6)
    ]
    assert [nombre for pagina in paginas for nombre in pagina] == espanol
    zeta = next(
        c
        for c in listar(api, ordenar_por="nombre_empresa")["clientes"]
        if c["nombre_empresa"] == "Zeta"
    )
    assert api.patch(f"/api/clientes/{zeta['id']}", json={"nombre_empresa": "ábaco"}).is_success
    assert nombres(listar(api, ordenar_por="nombre_empresa", orden="asc"))[:2] == [
        "ábaco",
        "acme S.L.",
    ]


def test_clients_without_a_purchase_sort_last_both_ways(
    api: httpx.Client, db: Backend, make_cliente: MakeCliente
) -> None:
    make_cliente(nombre_empresa="Sin compras")
    for nombre, fecha in (("Antigua", date(2025, 1, 10)), ("Reciente", date(2026, 5, 3))):
        set_columns(db, make_cliente(nombre_empresa=nombre)["id"], fecha_ultima_compra=fecha)

    por_fecha = {
        o: nombres(listar(api, ordenar_por="fecha_última_compra", orden=o)) for o in ("asc", "desc")
    }
    assert por_fecha == {
        "asc": ["Antigua", "Reciente", "Sin compras"],
        "desc": ["Reciente", "Antigua", "Sin compras"],
    }


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("ordenar_por", "email;drop table clientes_extended"),
        ("ordenar_por", "email"),
        ("ordenar_por", "nombre_empresa desc"),
        ("orden", "up"),
    ],
)
def test_list_ordering_outside_whitelist_is_422(api: httpx.Client, name: str, value: str) -> None:
    assert_invalid(api.get("/api/clientes/", params={name: value}), name)


def test_list_newest_update_first_by_default(
    api: httpx.Client, db: Backend, make_cliente: MakeCliente
) -> None:
    base = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    for day, nombre in enumerate(("Viejo", "Medio", "Nuevo")):
        db.clock.set(base + timedelta(days=day))
        make_cliente(nombre_empresa=nombre)

    assert nombres(listar(api)) == ["Nuevo", "Medio", "Viejo"]


# --- client 360 ---------------------------------------------------------------------------


def test_client_360_brings_contacts_recent_activities_open_pipeline_and_health(
    api: httpx.Client, db: Backend, make_cliente: MakeCliente
) -> None:
    db.clock.set(datetime(2026, 5, 20, 12, 0, tzinfo=UTC))
    cliente = make_cliente()
    url = f"/api/clientes/{cliente['id']}"
    api.post(url + "/contactos", json={"nombre_completo": "María López", "rol": "Contable"})
    for day in range(1, 13):
        fecha = f"2026-05-{day:02d}T10:00:00+00:00"
        api.post(url + "/actividades", json={"tipo": "nota", "titulo": f"n{day}", "fecha": fecha})
    for estado in ("presupuesto", "ganada", "perdida", "negociacion"):
        body = {"nombre_proyecto": estado, "monto_estimado": 1000, "estado": estado}
        assert api.post(url + "/oportunidades", json=body).status_code == 201

    body = api.get(url).json()

    assert [c["nombre_completo"] for c in body["contactos"]] == ["María López"]
    assert [a["titulo"] for a in body["actividades_recientes"]] == [
        f"n{day}" for day in range(12, 2, -1)
    ]
    assert sorted(o["estado"] for o in body["oportunidades_abiertas"]) == [
        "negociación",
        "presupuesto",
    ]
    assert body["salud"]["cliente_id"] == cliente["id"]
    assert "salud_general" in body["salud"]


def _statements_for_get(api: httpx.Client, db: Backend, cliente_id: str) -> int:
    db.statements.clear()
    assert api.get(f"/api/clientes/{cliente_id}").status_code == 200
    return len(db.statements)


def test_client_360_runs_a_fixed_number_of_queries(
    api: httpx.Client, db: Backend, make_cliente: MakeCliente
) -> None:
    pequeno, grande = make_cliente(), make_cliente()

    def poblar(cliente_id: str, contactos: int, actividades: int) -> None:
        url = f"/api/clientes/{cliente_id}"
        ids = []
        for n in range(contactos):
            contacto = {"nombre_completo": f"Persona {n}", "rol": "Compras"}
            ids.append(api.post(url + "/contactos", json=contacto).json()["id"])
        for n in range(actividades):
            actividad = {"tipo": "llamada", "titulo": f"Llamada {n}", "contacto_id": ids[0]}
            assert api.post(url + "/actividades", json=actividad).status_code == 201
        oportunidad = {"nombre_proyecto": "P", "monto_estimado": 10}
        assert api.post(url + "/oportunidades", json=oportunidad).status_code == 201

    poblar(pequeno["id"], contactos=1, actividades=1)
    poblar(grande["id"], contactos=15, actividades=30)

    small = _statements_for_get(api, db, pequeno["id"])
    large = _statements_for_get(api, db, grande["id"])

    assert small > 0
    assert small == large, db.statements


# --- errors ---------------------------------------------------------------------------------


def test_malformed_json_is_422_not_500(api: httpx.Client) -> None:
    response = api.post(
        "/api/clientes/",
        content=b'{"nombre_empresa": "Acme", "email": ',
        headers={"Content-Type": "application/json"},
    )

    assert_problem(response, 422)


def test_malformed_json_names_no_field(api: httpx.Client) -> None:
    response = api.post(
        "/api/clientes/",
        content=b'{"nombre_empresa": "Acme", "email": ',
        headers={"Content-Type": "application/json"},
    )

    assert_problem(response, 422)
    assert campos(response) == [None]


def test_absurdly_nested_json_is_422(api: httpx.Client) -> None:
    response = api.post(
        "/api/clientes/", content=b"[" * 100_000, headers={"Content-Type": "application/json"}
    )

    assert_problem(response, 422)


def test_body_that_is_not_an_object_is_422(api: httpx.Client) -> None:
    assert_problem(api.post("/api/clientes/", json=["no", "soy", "un", "objeto"]), 422)


def test_unknown_route_is_json_404(api: httpx.Client) -> None:
    assert_problem(api.get("/api/no-existe"), 404)


# --- input a database cannot hold is refused, never a 500 ----------------------------------


@pytest.mark.parametrize(
    ("campo", "value"),
    [
        ("nombre_empresa", "Acme\u0000"),
        ("notas", "línea\u0000"),
        ("fecha_primer_contacto", "0001-01-01T00:00:00+01:00"),
        ("fecha_primer_contacto", "9999-12-31T23:59:59-01:00"),
    ],
)
def test_text_with_nul_or_instant_out_of_range_is_422(
    api: httpx.Client, campo: str, value: str
) -> None:
    assert_invalid(crear(api, **{campo: value}), campo)


def test_a_first_contact_after_today_is_refused(db: Backend, api: httpx.Client) -> None:
    """2999-01-01 was stored for good; any hour of today (Madrid) is still accepted."""
    db.clock.set(datetime(2026, 3, 10, 8, 0, tzinfo=UTC))  # 09:00 in Madrid
    manana = crear(api, fecha_primer_contacto="2026-03-11T00:00:00+01:00")
    body = assert_invalid(manana, "fecha_primer_contacto")
    assert "11/03/2026 es posterior a hoy" in body["detail"]
    hoy_tarde = crear(api, fecha_primer_contacto="2026-03-10T23:30:00+01:00")
    assert hoy_tarde.status_code == 201, hoy_tarde.text

    url = f"/api/clientes/{hoy_tarde.json()['id']}"
    assert_invalid(
        api.patch(url, json={"fecha_primer_contacto": "2999-01-01"}), "fecha_primer_contacto"
    )
    ayer = api.patch(url, json={"fecha_primer_contacto": "2026-03-09T10:00:00"})
    assert ayer.status_code == 200, ayer.text
    assert ayer.json()["fecha_primer_contacto"] == "2026-03-09T10:00:00+01:00"


@pytest.mark.parametrize("name", ["q", "sector"])
def test_query_with_nul_is_422(api: httpx.Client, name: str) -> None:
    assert_invalid(api.get("/api/clientes/", params={name: "a\u0000"}), name)


def test_id_with_nul_is_an_unknown_id(api: httpx.Client, make_cliente: MakeCliente) -> None:
    url = f"/api/clientes/{make_cliente()['id']}"

    for path in (
        "/api/clientes/%00",
        "/api/clientes/%00/actividades",
        f"{url}/contactos/%00",
        f"{url}/actividades/%00",
        f"{url}/oportunidades/%00",
    ):
        assert_problem(api.get(path), 404)
    assert_problem(api.put("/api/clientes/oportunidades/%00/ganada"), 404)


def test_list_total_by_state_is_the_running_count_and_follows_every_change(
    db: Backend, api: httpx.Client, make_cliente: MakeCliente
) -> None:
    """Filtered by state alone, or not at all, the list's total is the running count the
    database keeps per state (issue 14, R2: counting 85,000 active clients cost more than
    their first page), not a count over the clients; it still equals the clients after
    creations, a change of state, a bulk edit behind the service's back and an erasure."""
    clientes = [make_cliente(nombre_empresa=f"Cliente {i}")["id"] for i in range(5)]
    api.patch(f"/api/clientes/{clientes[0]}", json={"estado": "cliente_perdido"})
    api.patch(f"/api/clientes/{clientes[1]}", json={"estado": "cliente_perdido"})
    assert api.delete(f"/api/clientes/{clientes[2]}").status_code == 204
    set_columns(db, clientes[3], estado="cliente_dormido")  # SQL by hand: triggers still run

    reales: dict[str | None, int] = {None: 0}
    for fila in listar(api, limit=100)["clientes"]:
        reales[fila["estado"]] = reales.get(fila["estado"], 0) + 1
        reales[None] += 1
    assert reales == {None: 4, "prospecto": 1, "cliente_perdido": 2, "cliente_dormido": 1}
    for estado in (None, "prospecto", "cliente_perdido", "cliente_dormido", "cliente_activo"):
        db.statements.clear()
        filtro = {"estado": estado} if estado else {}
        assert listar(api, **filtro)["total"] == reales.get(estado, 0), estado
        assert any("contadores_cartera" in s for s in db.statements)
        assert not [s for s in db.statements if "count(" in s.lower()]
    # With any other filter the clients themselves are counted, as before.
    set_columns(db, clientes[0], riesgo_impago="alto")
    db.statements.clear()
    assert listar(api, estado="cliente_perdido", riesgo_impago="alto")["total"] == 1
    assert any("count(" in s.lower() and "clientes_extended" in s for s in db.statements)
    assert not any("contadores_cartera" in s for s in db.statements)
