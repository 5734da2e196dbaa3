"""The sales pipeline (contract §2): seed body, stage defaults, won/lost, filters, money."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.api_helpers import (
    SEED_OPORTUNIDAD,
    assert_invalid,
    assert_problem,
    count_rows,
    instant,
)
from tests.conftest import Backend

MakeCliente = Callable[..., dict[str, Any]]
NOW = datetime(2026, 6, 15, 9, 30, tzinfo=UTC)
ETAPAS = [
    ("identificada", "identificada", 10),
    ("contactado", "contactado", 20),
    ("presupuesto", "presupuesto", 50),
    ("negociación", "negociación", 70),
    ("negociacion", "negociación", 70),
    ("ganada", "ganada", 100),
    ("perdida", "perdida", 0),
]


def url_of(cliente: dict[str, Any]) -> str:
    return f"/api/clientes/{cliente['id']}/oportunidades"


def crear(api: httpx.Client, cliente: dict[str, Any], **fields: Any) -> dict[str, Any]:
    body = {"nombre_proyecto": "Web nueva", "monto_estimado": 1000, **fields}
    response = api.post(url_of(cliente), json=body)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


def ganar(api: httpx.Client, oportunidad_id: str, **params: Any) -> httpx.Response:
    return api.put(f"/api/clientes/oportunidades/{oportunidad_id}/ganada", params=params)


def perder(api: httpx.Client, oportunidad_id: str, **params: Any) -> httpx.Response:
    return api.put(f"/api/clientes/oportunidades/{oportunidad_id}/perdida", params=params)


def test_seed_create_opportunity_example_works_unchanged(
    api: httpx.Client, make_cliente: MakeCliente
) -> None:
    make_cliente(id="abc123")

    response = api.post("/api/clientes/abc123/oportunidades", json=SEED_OPORTUNIDAD)

    assert response.status_code == 201, response.text
    body = response.json()
    assert body["cliente_id"] == "abc123"
    assert body["nombre_proyecto"] == "Implementación ERP"
    assert body["estado"] == "presupuesto"
    assert body["probabilidad_cierre"] == 65
    assert body["fecha_cierre_real"] is None
    assert body["valor_ganado"] is None


def test_money_is_a_json_number(api: httpx.Client, make_cliente: MakeCliente) -> None:
    cliente = make_cliente()

    body = crear(api, cliente, monto_estimado=45000)
    exact = crear(api, cliente, monto_estimado="1234.56")

    assert isinstance(body["monto_estimado"], float) and body["monto_estimado"] == 45000.0
    assert exact["monto_estimado"] == 1234.56
    listed = api.get(url_of(cliente)).json()
    assert all(isinstance(o["monto_estimado"], float) for o in listed)


def test_seed_mark_won_flow(api: httpx.Client, db: Backend, make_cliente: MakeCliente) -> None:
    db.clock.set(NOW)
    cliente = make_cliente(id="abc123")
    assert cliente["estado"] == "prospecto"
    oportunidad = api.post("/api/clientes/abc123/oportunidades", json=SEED_OPORTUNIDAD).json()

    response = ganar(api, oportunidad["id"], valor_final=42000)

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["estado"] == "ganada"
    assert body["probabilidad_cierre"] == 100
    assert instant(body["fecha_cierre_real"]) == NOW
    assert body["valor_ganado"] == 42000.0
    assert body["monto_estimado"] == 45000.0
    assert api.get("/api/clientes/abc123").json()["estado"] == "cliente_activo"


def test_repeating_won_or_lost_keeps_the_close_date(
    api: httpx.Client, db: Backend, make_cliente: MakeCliente
) -> None:
    cliente = make_cliente()
    ganada, perdida = crear(api, cliente), crear(api, cliente)
    db.clock.set(NOW)
    ganar(api, ganada["id"], valor_final=100)
    perder(api, perdida["id"])
    db.clock.set(NOW + timedelta(days=3))

    again_won = ganar(api, ganada["id"], valor_final=120)
    again_lost = perder(api, perdida["id"], motivo="Se fue con la competencia")

    assert again_won.status_code == 200, again_won.text
    assert instant(again_won.json()["fecha_cierre_real"]) == NOW
    assert again_won.json()["valor_ganado"] == 120.0
    assert instant(again_lost.json()["fecha_cierre_real"]) == NOW
    assert again_lost.json()["motivo_perdida"] == "Se fue con la competencia"


def test_mark_won_without_valor_final_wins_the_estimate(
    api: httpx.Client, make_cliente: MakeCliente
) -> None:
    oportunidad = crear(api, make_cliente(), monto_estimado=3000)

    response = ganar(api, oportunidad["id"])

    assert response.status_code == 200, response.text
    assert response.json()["valor_ganado"] == 3000.0


def test_winning_does_not_demote_a_lost_client(
    api: httpx.Client, make_cliente: MakeCliente
) -> None:
    cliente = make_cliente()
    api.patch(f"/api/clientes/{cliente['id']}", json={"estado": "cliente_perdido"})

    assert ganar(api, crear(api, cliente)["id"]).status_code == 200

    assert api.get(f"/api/clientes/{cliente['id']}").json()["estado"] == "cliente_perdido"


def test_mark_unknown_opportunity_won_or_lost_is_404(api: httpx.Client) -> None:
    assert_problem(ganar(api, "no-existe", valor_final=100), 404)
    assert_problem(perder(api, "no-existe", motivo="precio"), 404)


def test_mark_won_with_invalid_valor_final_is_422(
    api: httpx.Client, make_cliente: MakeCliente
) -> None:
    cliente = make_cliente()
    oportunidad = crear(api, cliente)

    for value in (-1, "mucho", "1.234"):
        assert_invalid(ganar(api, oportunidad["id"], valor_final=value), "valor_final")
    estado = api.get(f"{url_of(cliente)}/{oportunidad['id']}").json()["estado"]
    assert estado == "identificada"


def test_mark_lost_with_reason(api: httpx.Client, db: Backend, make_cliente: MakeCliente) -> None:
    db.clock.set(NOW)
    oportunidad = crear(api, make_cliente(), estado="negociacion")

    response = perder(api, oportunidad["id"], motivo="Precio demasiado alto")

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["estado"] == "perdida"
    assert body["probabilidad_cierre"] == 0
    assert body["motivo_perdida"] == "Precio demasiado alto"
    assert instant(body["fecha_cierre_real"]) == NOW
    assert body["valor_ganado"] is None


def test_won_and_lost_take_their_value_in_a_json_body_too(
    api: httpx.Client, make_cliente: MakeCliente
) -> None:
    """A client developer sending `{"motivo": ...}` as JSON had a 200 and the reason
    dropped: the body is read now, the query parameter still works, and both with
    different values is refused naming the field."""
    cliente = make_cliente()
    perdida = crear(api, cliente, estado="negociacion")
    url = f"/api/clientes/oportunidades/{perdida['id']}/perdida"
    response = api.put(url, json={"motivo": "Precio demasiado alto"})
    assert response.status_code == 200, response.text
    assert response.json()["motivo_perdida"] == "Precio demasiado alto"

    ganada = crear(api, cliente, estado="negociacion")
    url = f"/api/clientes/oportunidades/{ganada['id']}/ganada"
    assert_invalid(
        api.put(url, params={"valor_final": 100}, json={"valor_final": 200}), "valor_final"
    )
    response = api.put(url, json={"valor_final": 1234.5})
    assert response.status_code == 200, response.text
    assert response.json()["valor_ganado"] == 1234.5
    assert_invalid(api.put(url, json={"motivo": "x"}), "motivo")  # not a field of `ganada`
    roto = api.put(url, content=b"{no es json", headers={"Content-Type": "application/json"})
    assert roto.status_code == 422
    assert roto.json()["errors"][0]["mensaje"] == "el cuerpo no es un JSON válido"


def test_mark_lost_without_reason(api: httpx.Client, make_cliente: MakeCliente) -> None:
    response = perder(api, crear(api, make_cliente())["id"])

    assert response.status_code == 200, response.text
    assert response.json()["estado"] == "perdida"


def test_won_opportunity_cannot_be_marked_lost(
    api: httpx.Client, make_cliente: MakeCliente
) -> None:
    oportunidad = crear(api, make_cliente())
    ganar(api, oportunidad["id"])

    assert_problem(perder(api, oportunidad["id"]), 409)


@pytest.mark.parametrize(("sent", "estado", "probabilidad"), ETAPAS)
def test_stage_default_probability(
    api: httpx.Client, make_cliente: MakeCliente, sent: str, estado: str, probabilidad: int
) -> None:
    body = crear(api, make_cliente(), estado=sent)

    assert body["estado"] == estado
    assert body["probabilidad_cierre"] == probabilidad


def test_new_opportunity_is_identificada_by_default(
    api: httpx.Client, make_cliente: MakeCliente
) -> None:
    body = crear(api, make_cliente())

    assert (body["estado"], body["probabilidad_cierre"]) == ("identificada", 10)


def test_explicit_probability_is_kept(api: httpx.Client, make_cliente: MakeCliente) -> None:
    body = crear(api, make_cliente(), estado="contactado", probabilidad_cierre=35)

    assert body["probabilidad_cierre"] == 35


def test_patch_to_a_new_stage_applies_its_default(
    api: httpx.Client, make_cliente: MakeCliente
) -> None:
    cliente = make_cliente()
    oportunidad = crear(api, cliente, estado="contactado", probabilidad_cierre=35)
    url = f"{url_of(cliente)}/{oportunidad['id']}"

    moved = api.patch(url, json={"estado": "negociacion"})
    explicit = api.patch(url, json={"estado": "presupuesto", "probabilidad_cierre": 55})
    same_stage = api.patch(url, json={"nombre_proyecto": "Web y tienda"})

    assert moved.status_code == 200, moved.text
    assert (moved.json()["estado"], moved.json()["probabilidad_cierre"]) == ("negociación", 70)
    assert explicit.json()["probabilidad_cierre"] == 55
    assert same_stage.json()["probabilidad_cierre"] == 55
    assert same_stage.json()["nombre_proyecto"] == "Web y tienda"


def test_list_filters_by_estado_and_open(api: httpx.Client, make_cliente: MakeCliente) -> None:
    cliente = make_cliente()
    for estado in ("identificada", "presupuesto", "negociación", "perdida"):
        crear(api, cliente, nombre_proyecto=estado, estado=estado)
    ganar(api, crear(api, cliente, nombre_proyecto="ganada")["id"])

    def proyectos(**params: Any) -> list[str]:
        response = api.get(url_of(cliente), params=params)
        assert response.status_code == 200, response.text
        return sorted(o["nombre_proyecto"] for o in response.json())

    assert len(proyectos()) == 5
    assert proyectos(estado="negociacion") == ["negociación"]
    assert proyectos(estado="ganada") == ["ganada"]
    assert proyectos(abiertas="true") == ["identificada", "negociación", "presupuesto"]
    assert_invalid(api.get(url_of(cliente), params={"estado": "soñada"}), "estado")
    assert_invalid(api.get(url_of(cliente), params={"limit": 101}), "limit")


@pytest.mark.parametrize(
    ("campo", "value"),
    [
        ("probabilidad_cierre", 101),
        ("probabilidad_cierre", -1),
        ("monto_estimado", -1),
        ("monto_estimado", "1.234"),
        ("monto_estimado", "mucho"),
        ("nombre_proyecto", "x" * 201),
        ("estado", "soñada"),
        ("fecha_cierre_real", "2026-01-01T00:00:00Z"),
        ("valor_ganado", 10),
        ("contacto_responsable_id", "a\u0000"),
        ("fecha_cierre_estimada", "9999-12-31T23:59:59-01:00"),
    ],
)
def test_invalid_opportunity_is_422(
    api: httpx.Client, make_cliente: MakeCliente, campo: str, value: Any
) -> None:
    body = {"nombre_proyecto": "Web", "monto_estimado": 100, campo: value}

    assert_invalid(api.post(url_of(make_cliente()), json=body), campo)


@pytest.mark.parametrize("campo", ["nombre_proyecto", "monto_estimado"])
def test_required_opportunity_fields(
    api: httpx.Client, make_cliente: MakeCliente, campo: str
) -> None:
    body = {"nombre_proyecto": "Web", "monto_estimado": 100}
    del body[campo]

    assert_invalid(api.post(url_of(make_cliente()), json=body), campo)


def test_patch_validates_too(api: httpx.Client, make_cliente: MakeCliente) -> None:
    cliente = make_cliente()
    url = f"{url_of(cliente)}/{crear(api, cliente)['id']}"

    assert_invalid(api.patch(url, json={"probabilidad_cierre": 101}), "probabilidad_cierre")
    assert_invalid(api.patch(url, json={"monto_estimado": -5}), "monto_estimado")
    assert_invalid(api.patch(url, json={"estado": None}), "estado")


def test_responsible_contact_must_belong_to_the_client(
    api: httpx.Client, make_cliente: MakeCliente
) -> None:
    cliente, otro = make_cliente(), make_cliente()
    ajeno = api.post(
        f"/api/clientes/{otro['id']}/contactos", json={"nombre_completo": "X", "rol": "Y"}
    ).json()

    body = {"nombre_proyecto": "Web", "monto_estimado": 1, "contacto_responsable_id": ajeno["id"]}
    assert_invalid(api.post(url_of(cliente), json=body), "contacto_responsable_id")


def test_unknown_or_foreign_opportunity_is_404(
    api: httpx.Client, make_cliente: MakeCliente
) -> None:
    cliente, otro = make_cliente(), make_cliente()
    ajena = crear(api, otro)

    for oportunidad_id in ("no-existe", ajena["id"]):
        url = f"{url_of(cliente)}/{oportunidad_id}"
        assert_problem(api.get(url), 404)
        assert_problem(api.patch(url, json={"nombre_proyecto": "x"}), 404)
    assert api.get(f"{url_of(otro)}/{ajena['id']}").json()["nombre_proyecto"] == "Web nueva"


def test_opportunities_of_unknown_client_are_404_and_nothing_is_written(
    api: httpx.Client, db: Backend
) -> None:
    url = "/api/clientes/no-existe/oportunidades"

    assert_problem(api.post(url, json=SEED_OPORTUNIDAD), 404)
    assert_problem(api.get(url), 404)
    assert count_rows(db.engine, "oportunidades_extended") == 0


def test_lost_reason_with_nul_is_422(api: httpx.Client, make_cliente: MakeCliente) -> None:
    oportunidad = crear(api, make_cliente())

    assert_invalid(perder(api, oportunidad["id"], motivo="a\u0000"), "motivo")


def test_the_body_is_read_before_the_write_turn_is_taken(
    db: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A client that sends its body slowly must not hold SQLite's write turn meanwhile:
    every other writer (the webhooks) would wait behind it."""
    from smartbilling_crm.main import create_app
    from smartbilling_crm.oportunidades import schemas
    from tests.conftest import API_KEY, ServerThread, make_settings

    app = create_app(make_settings(db.url, CRM_API_KEYS=API_KEY))
    tomado: list[bool] = []
    leer = schemas.PerdidaIn.model_validate_json

    def espia(crudo: Any) -> Any:
        turno = app.state.turno_de_escritura
        tomado.append(turno is not None and turno.locked())
        return leer(crudo)

    monkeypatch.setattr(schemas.PerdidaIn, "model_validate_json", espia)
    server = ServerThread(app)
    server.start()
    try:
        with httpx.Client(base_url=server.base_url, timeout=30) as client:
            client.put(
                "/api/clientes/oportunidades/nada/perdida",
                json={"motivo": "x"},
                headers={"Authorization": f"Bearer {API_KEY}"},
            )
    finally:
        server.stop()
    assert tomado == [False]
