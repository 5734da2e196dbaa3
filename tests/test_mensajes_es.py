"""Contract §10: every 422 message is Spanish, names the field and carries no Python repr.
Each pydantic error type the API can produce has its Spanish message (kit.errores)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

import httpx
import pytest
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from smartbilling_crm.dominio import EstadoCliente
from smartbilling_crm.kit.errores import _MENSAJES, mensaje_es
from tests.api_helpers import assert_invalid
from tests.conftest import ENGLISH_IN_422, assert_spanish_422


class _Todo(BaseModel):
    model_config = ConfigDict(extra="forbid")

    texto: Annotated[str, StringConstraints(min_length=3, max_length=5, pattern=r"^[a-z]+$")] = (
        "abc"
    )
    entero: Annotated[int, Field(ge=0, le=10, multiple_of=2)] = 0
    mayor: Annotated[int, Field(gt=0)] = 1
    menor: Annotated[int, Field(lt=10)] = 1
    importe: Annotated[Decimal, Field(max_digits=14, decimal_places=2, allow_inf_nan=False)] = (
        Decimal(0)
    )
    lista: Annotated[list[int], Field(min_length=1, max_length=2)] = [1]
    dia: date = date(2025, 1, 1)
    momento: datetime = datetime(2025, 1, 1)
    estado: EstadoCliente = EstadoCliente.VIP
    literal: Literal["a", "b"] = "a"
    flag: bool = False
    real: float = 0.0
    obligatorio: int


# (input, the error type it raises, what the Spanish message must say)
CASES: list[tuple[dict[str, Any], str, str]] = [
    ({}, "missing", "obligatorio"),
    ({"obligatorio": 1, "otro": 1}, "extra_forbidden", ""),
    ({"obligatorio": "x"}, "int_parsing", "entero"),
    ({"obligatorio": 1.5}, "int_from_float", "entero"),
    ({"obligatorio": []}, "int_type", "entero"),
    ({"obligatorio": 1, "texto": 1}, "string_type", "texto"),
    ({"obligatorio": 1, "texto": "ab"}, "string_too_short", "3 caracteres"),
    ({"obligatorio": 1, "texto": "abcdefg"}, "string_too_long", "5 caracteres"),
    ({"obligatorio": 1, "texto": "ABC"}, "string_pattern_mismatch", "^[a-z]+$"),
    ({"obligatorio": 1, "entero": -2}, "greater_than_equal", "mayor o igual que 0"),
    ({"obligatorio": 1, "entero": 12}, "less_than_equal", "menor o igual que 10"),
    ({"obligatorio": 1, "entero": 3}, "multiple_of", "múltiplo de 2"),
    ({"obligatorio": 1, "mayor": 0}, "greater_than", "mayor que 0"),
    ({"obligatorio": 1, "menor": 10}, "less_than", "menor que 10"),
    ({"obligatorio": 1, "importe": "36.300000000000004"}, "decimal_max_digits", "14"),
    ({"obligatorio": 1, "importe": "36.305"}, "decimal_max_places", "2 decimales"),
    ({"obligatorio": 1, "importe": "1234567890123.1"}, "decimal_whole_digits", "cifras"),
    ({"obligatorio": 1, "importe": "x"}, "decimal_parsing", "número"),
    ({"obligatorio": 1, "importe": []}, "decimal_type", "número"),
    ({"obligatorio": 1, "importe": "Infinity"}, "finite_number", "finito"),
    ({"obligatorio": 1, "lista": []}, "too_short", "1 elemento"),
    ({"obligatorio": 1, "lista": [1, 2, 3]}, "too_long", "2 elementos"),
    ({"obligatorio": 1, "lista": "x"}, "list_type", "lista"),
    ({"obligatorio": 1, "dia": "2025-13-01"}, "date_from_datetime_parsing", "AAAA-MM-DD"),
    ({"obligatorio": 1, "dia": []}, "date_type", "fecha"),
    ({"obligatorio": 1, "dia": "2025-01-01T10:00:00"}, "date_from_datetime_inexact", "sin hora"),
    ({"obligatorio": 1, "momento": "ayer"}, "datetime_from_date_parsing", "ISO 8601"),
    ({"obligatorio": 1, "momento": []}, "datetime_type", "ISO 8601"),
    ({"obligatorio": 1, "estado": "jefe"}, "enum", "'vip'"),
    ({"obligatorio": 1, "literal": "c"}, "literal_error", "'a' o 'b'"),
    ({"obligatorio": 1, "flag": "quizá"}, "bool_parsing", "true o false"),
    ({"obligatorio": 1, "flag": []}, "bool_type", "true o false"),
    ({"obligatorio": 1, "real": "x"}, "float_parsing", "número"),
    ({"obligatorio": 1, "real": []}, "float_type", "número"),
]


@pytest.mark.parametrize(("data", "kind", "says"), CASES, ids=[c[1] for c in CASES])
def test_each_pydantic_error_type_has_its_spanish_message(
    data: dict[str, Any], kind: str, says: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        _Todo.model_validate(data)
    errors = [e for e in caught.value.errors() if e["type"] == kind]
    assert errors, caught.value.errors()
    mensaje = mensaje_es(errors[0])
    assert not ENGLISH_IN_422.search(mensaje), mensaje
    assert says in mensaje, mensaje
    assert kind in _MENSAJES or kind == "extra_forbidden"


def test_json_and_model_types_are_spanish_too() -> None:
    for kind in ("json_invalid", "model_attributes_type", "dict_type", "string_unicode"):
        mensaje = mensaje_es({"type": kind, "msg": "Input should be valid", "ctx": {}})
        assert not ENGLISH_IN_422.search(mensaje), mensaje


def test_an_unknown_error_type_falls_back_to_spanish() -> None:
    assert mensaje_es({"type": "nuevo_de_pydantic", "msg": "Input should be new"}) == (
        "valor no válido"
    )


def test_the_suite_check_catches_english() -> None:
    english = httpx.Response(
        422,
        json={"detail": "x", "errors": [{"mensaje": "Input should be greater than or equal to 0"}]},
    )
    with pytest.raises(AssertionError):
        assert_spanish_422(english)
    with pytest.raises(AssertionError):
        assert_spanish_422(httpx.Response(422, json={"detail": "cliente_id None no existe"}))


def test_readme_float_example_is_explained_in_spanish(api: httpx.Client) -> None:
    body = {
        "id": "fac_1",
        "numero": "2025/1",
        "cliente_id": "nadie",
        "fecha_emision": "2025-12-12",
        "base_imponible": 36.300000000000004,
        "total": 36.3,
    }
    response = api.post("/api/facturas/importar", json=[body])
    error = assert_invalid(response, "0.base_imponible")
    assert "2 decimales" in error["detail"], error


@pytest.mark.parametrize(
    ("body", "campo", "says"),
    [
        ({"nombre_empresa": "A", "email": "sin-arroba"}, "email", "@"),
        ({"nombre_empresa": "A", "email": "a@"}, "email", "@"),
        (
            {"nombre_empresa": "A", "email": "a@b.es", "numero_empleados": -1},
            "numero_empleados",
            "mayor o igual que 0",
        ),
        ({"nombre_empresa": "", "email": "a@b.es"}, "nombre_empresa", "vacío"),
        (
            {"nombre_empresa": "A", "email": "a@b.es", "tamaño_empresa": "enorme"},
            "tamaño_empresa",
            "'mediana'",
        ),
    ],
)
def test_api_422_messages_are_spanish_and_name_the_field(
    api: httpx.Client, body: dict[str, Any], campo: str, says: str
) -> None:
    response = api.post("/api/clientes/", json=body)
    error = assert_invalid(response, campo)
    mensajes = [e["mensaje"] for e in error["errors"] if e["campo"] == campo]
    assert any(says in m for m in mensajes), mensajes


@pytest.mark.parametrize(
    ("params", "campo", "maximo"),
    [({"q": "a" * 201}, "q", 200), ({"sector": "s" * 201}, "sector", 100)],
)
def test_a_text_query_parameter_too_long_is_counted_in_characters(
    api: httpx.Client, params: dict[str, str], campo: str, maximo: int
) -> None:
    error = assert_invalid(api.get("/api/clientes/", params=params), campo)
    mensaje = next(e["mensaje"] for e in error["errors"] if e["campo"] == campo)
    assert mensaje == f"demasiado largo (máximo {maximo} caracteres)"


def test_unknown_client_message_names_only_what_was_sent(api: httpx.Client) -> None:
    body = {
        "id": "fac_2",
        "numero": "2025/2",
        "cliente_id": "nadie",
        "fecha_emision": "2025-12-12",
        "base_imponible": 10,
        "total": 12.1,
    }
    response = api.post("/api/facturas/importar", json=[body])
    detail = response.json()["detail"]
    assert response.status_code == 422
    assert "None" not in detail and "'nadie'" in detail
