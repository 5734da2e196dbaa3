"""The published API description: tags, summaries, error shapes, seed examples, security."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.api_helpers import SEED_ACTIVIDAD, SEED_CLIENTE, SEED_OPORTUNIDAD

HTTP_METHODS = ("get", "post", "put", "patch", "delete")


@pytest.fixture
def spec(anon: httpx.Client) -> dict[str, Any]:
    response = anon.get("/openapi.json")
    assert response.status_code == 200
    result: dict[str, Any] = response.json()
    return result


def operations(spec: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in spec["paths"].items():
        for method in HTTP_METHODS:
            if method in item:
                yield method.upper(), path, item[method]


def resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    if not ref:
        return schema
    name = ref.rsplit("/", 1)[-1]
    resolved: dict[str, Any] = spec["components"]["schemas"][name]
    return resolved


def request_examples(spec: dict[str, Any], method: str, path: str) -> list[Any]:
    """Every example the docs show for an operation's JSON body, wherever it is declared."""
    media = spec["paths"][path][method.lower()]["requestBody"]["content"]["application/json"]
    found: list[Any] = []
    if "example" in media:
        found.append(media["example"])
    found += [e.get("value") for e in media.get("examples", {}).values()]
    schema = media.get("schema", {})
    for candidate in (schema, resolve(spec, schema), *schema.get("allOf", [])):
        found += resolve(spec, candidate).get("examples", [])
    return found


def test_every_operation_has_tags_and_a_summary(spec: dict[str, Any]) -> None:
    for method, path, operation in operations(spec):
        assert operation.get("tags"), f"{method} {path} has no tags"
        assert operation.get("summary"), f"{method} {path} has no summary"


def test_operations_with_input_declare_their_422(spec: dict[str, Any]) -> None:
    # Every operation behind the API key takes input: at least its query string, where a
    # parameter it does not declare is a 422 (`kit.parametros`).
    for method, path, operation in operations(spec):
        con_clave = path.startswith("/api/") and not path.startswith("/api/webhooks/")
        if con_clave or operation.get("parameters") or operation.get("requestBody"):
            assert "422" in operation["responses"], f"{method} {path} does not declare 422"


def test_api_operations_declare_401_and_the_problem_shape(spec: dict[str, Any]) -> None:
    for method, path, operation in operations(spec):
        if path.startswith("/api/") and not path.startswith("/api/webhooks/"):
            assert "401" in operation["responses"], f"{method} {path} does not declare 401"
    problem = spec["components"]["schemas"]["Problem"]
    assert {"detail", "status", "title"} <= set(problem["properties"])


@pytest.mark.parametrize(
    ("method", "path", "example"),
    [
        ("POST", "/api/clientes/", SEED_CLIENTE),
        ("POST", "/api/clientes/{cliente_id}/actividades", SEED_ACTIVIDAD),
        ("POST", "/api/clientes/{cliente_id}/oportunidades", SEED_OPORTUNIDAD),
    ],
)
def test_seed_bodies_are_the_documented_examples(
    spec: dict[str, Any], method: str, path: str, example: dict[str, Any]
) -> None:
    assert example in request_examples(spec, method, path)


def test_docs_offer_authorize_with_the_api_key(anon: httpx.Client, spec: dict[str, Any]) -> None:
    schemes = spec["components"]["securitySchemes"]

    assert schemes
    assert any(s["type"] == "http" and s["scheme"].lower() == "bearer" for s in schemes.values())
    assert any(s["type"] == "apiKey" and s["name"] == "X-API-Key" for s in schemes.values())
    secured = spec["paths"]["/api/clientes/"]["get"]["security"]
    assert {name for requirement in secured for name in requirement} <= set(schemes)
    docs = anon.get("/docs")
    assert docs.status_code == 200
    assert "swagger-ui" in docs.text.lower()


def test_accented_wire_names_are_documented(spec: dict[str, Any]) -> None:
    schemas = spec["components"]["schemas"]
    read_props = set(schemas["ClienteRead"]["properties"])

    assert {"tamaño_empresa", "fecha_última_compra"} <= read_props
    assert "duración_minutos" in schemas["ActividadRead"]["properties"]
    assert "fecha_última_interaccion" in schemas["ContactoRead"]["properties"]


def test_every_success_is_described_in_spanish(spec: dict[str, Any]) -> None:
    """FastAPI's own "Successful Response" is said in Spanish, by status."""
    descripciones = {
        (codigo, respuesta["description"])
        for ruta in spec["paths"].values()
        for operacion in ruta.values()
        for codigo, respuesta in operacion["responses"].items()
        if codigo.startswith("2")
    }
    assert not [d for d in descripciones if "Successful" in d[1]]
    assert ("201", "Creado") in descripciones
    assert ("204", "Hecho, sin cuerpo") in descripciones
