"""Forms whose hidden fields a user never types, posted with values the page would never
send (a stale page, a crafted request): refused in Spanish, nothing written, and an id that
is not there is a 404 page."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx

from ..conftest import Backend
from ..webhook_helpers import evento, send
from .conftest import cargar_demo, enviar


def _oportunidad(api: httpx.Client, cliente_id: str) -> dict[str, Any]:
    body = {"nombre_proyecto": "Renovación", "monto_estimado": 1000}
    op: dict[str, Any] = api.post(f"/api/clientes/{cliente_id}/oportunidades", json=body).json()
    return op


def test_closing_with_an_unknown_result_is_refused(
    panel: httpx.Client, api: httpx.Client, make_cliente: Any
) -> None:
    c = make_cliente()["id"]
    op = _oportunidad(api, c)
    ruta = f"/clientes/{c}"
    response = enviar(panel, ruta, f"{ruta}/oportunidades/{op['id']}/cerrar", {"resultado": "otro"})
    assert response.status_code == 422
    assert "ganada o perdida" in response.text
    assert "marcada como perdida" not in response.text
    sin = enviar(panel, ruta, f"{ruta}/oportunidades/{op['id']}/cerrar", {})
    assert sin.status_code == 422
    assert api.get(f"/api/clientes/{c}/oportunidades/{op['id']}").json()["estado"] == "identificada"


def test_a_loss_reason_too_long_is_refused_as_the_api_refuses_it(
    panel: httpx.Client, api: httpx.Client, make_cliente: Any
) -> None:
    """It was cut to 500 characters and stored without a word."""
    c = make_cliente()["id"]
    op = _oportunidad(api, c)
    ruta = f"/clientes/{c}"
    cerrar = f"{ruta}/oportunidades/{op['id']}/cerrar"
    response = enviar(panel, ruta, cerrar, {"resultado": "perdida", "motivo": "x" * 501})
    assert response.status_code == 422
    assert "demasiado largo (máximo 500 caracteres)" in response.text
    assert api.get(f"/api/clientes/{c}/oportunidades/{op['id']}").json()["estado"] == "identificada"
    response = enviar(panel, ruta, cerrar, {"resultado": "perdida", "motivo": " Precio "})
    assert response.status_code == 303
    cerrada = api.get(f"/api/clientes/{c}/oportunidades/{op['id']}").json()
    assert (cerrada["estado"], cerrada["motivo_perdida"]) == ("perdida", "Precio")


def test_hoy_s_forms_refuse_a_nul_in_the_alert_s_text(
    panel: httpx.Client, db: Backend, api: httpx.Client
) -> None:
    """`/hoy/hecho` with U+0000 in `mensaje` answered the API's 500."""
    cargar_demo(db)
    alerta = api.get("/api/alertas", params={"limit": 1}).json()["alertas"][0]
    campos = {"cliente_id": alerta["cliente_id"], "tipo": alerta["tipo"], "mensaje": "a\x00b"}
    antes = api.get(f"/api/clientes/{alerta['cliente_id']}/actividades").json()
    for ruta, extra in (("/hoy/hecho", {}), ("/hoy/posponer", {"dias": "7"})):
        response = enviar(panel, "/", ruta, campos | extra)
        assert response.status_code == 303, (ruta, response.text)
        assert "no puede contener el carácter nulo" in panel.get("/").text, ruta
    assert api.get(f"/api/clientes/{alerta['cliente_id']}/actividades").json() == antes


def test_unknown_ids_in_the_ficha_forms_are_a_404_page(
    panel: httpx.Client, api: httpx.Client, make_cliente: Any
) -> None:
    c = make_cliente()["id"]
    otro = make_cliente()["id"]
    ajena = _oportunidad(api, otro)  # another client's opportunity is not this one's
    ruta = f"/clientes/{c}"
    for accion, datos in (
        (f"{ruta}/oportunidades/no-existe/cerrar", {"resultado": "ganada"}),
        (f"{ruta}/oportunidades/{ajena['id']}/cerrar", {"resultado": "perdida"}),
        (f"{ruta}/actividades/no-existe/completar", {}),
        (f"{ruta}/contactos/no-existe", {"nombre_completo": "Ana", "rol": "Gerente"}),
    ):
        response = enviar(panel, ruta, accion, datos)
        assert response.status_code == 404, accion
        assert response.headers["content-type"].startswith("text/html")
        assert "no encontrad" in response.text and "No se ha encontrado" in response.text
        assert f'href="{ruta}"' in response.text  # back to the ficha
    assert api.get(f"/api/clientes/{otro}/oportunidades/{ajena['id']}").json()["estado"] == (
        "identificada"
    )


def test_hoy_refuses_an_unknown_alert_type_or_an_empty_done(
    panel: httpx.Client, api: httpx.Client, db: Backend
) -> None:
    cargar_demo(db)
    alerta = api.get("/api/alertas", params={"limit": 1}).json()["alertas"][0]
    cliente_id = alerta["cliente_id"]
    antes = api.get(f"/api/clientes/{cliente_id}/actividades").headers["x-total-count"]

    pospuesta = enviar(
        panel, "/", "/hoy/posponer", {"cliente_id": cliente_id, "tipo": "inventada", "dias": "7"}
    )
    assert pospuesta.status_code == 303
    hoy = panel.get("/").text
    assert "Tipo de alerta no válido" in hoy and "Pospuesta" not in hoy

    for datos in (
        {"tipo": "inventada", "mensaje": "Llamar"},
        {"tipo": alerta["tipo"]},
        {"tipo": alerta["tipo"], "mensaje": "   "},
    ):
        hecho = enviar(panel, "/", "/hoy/hecho", {"cliente_id": cliente_id, **datos})
        assert hecho.status_code == 303
        assert "Anotado en el historial" not in panel.get("/").text
    after = api.get(f"/api/clientes/{cliente_id}/actividades").headers["x-total-count"]
    assert after == antes  # no "Hecho:" task written

    raro = enviar(
        panel, "/", "/hoy/posponer", {"cliente_id": cliente_id, "tipo": alerta["tipo"], "dias": "²"}
    )
    assert raro.status_code == 303
    assert "Solo se puede posponer" in panel.get("/").text


def _pagina_404(response: httpx.Response, volver: str) -> None:
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "No se ha encontrado" in response.text and "no encontrad" in response.text
    assert f'href="{volver}"' in response.text


def test_moving_an_unknown_opportunity_in_the_pipeline_is_a_404_page(
    panel: httpx.Client, api: httpx.Client, make_cliente: Any
) -> None:
    c = make_cliente()["id"]
    otro = make_cliente()["id"]
    ajena = _oportunidad(api, otro)
    for datos in (
        {"cliente_id": c, "oportunidad_id": "no-existe", "estado": "negociación"},
        {"cliente_id": c, "oportunidad_id": ajena["id"], "estado": "negociación"},
        {"cliente_id": "no-existe", "oportunidad_id": ajena["id"], "estado": "negociación"},
    ):
        response = enviar(panel, "/pipeline", "/pipeline/mover", datos)
        _pagina_404(response, "/pipeline")
        assert "Volver al pipeline" in response.text
    assert api.get(f"/api/clientes/{otro}/oportunidades/{ajena['id']}").json()["estado"] == (
        "identificada"
    )
    # A refusal about the data, not the id, keeps its notice on the pipeline.
    mal = enviar(
        panel,
        "/pipeline",
        "/pipeline/mover",
        {"cliente_id": otro, "oportunidad_id": ajena["id"], "estado": "inventada"},
    )
    assert mal.status_code == 303 and mal.headers["location"] == "/pipeline"
    aviso = panel.get("/pipeline").text
    assert "No se ha movido: valor no admitido; se admite" in aviso
    assert "Revisa los campos marcados" not in aviso  # the pipeline marks no field
    # No stage chosen: nothing moved, and the notice does not say it did.
    vacio = {"cliente_id": otro, "oportunidad_id": ajena["id"], "estado": " "}
    assert enviar(panel, "/pipeline", "/pipeline/mover", vacio).status_code == 303
    aviso = panel.get("/pipeline").text
    assert "No se ha movido: elige la etapa" in aviso and "ahora en" not in aviso


def test_hoy_actions_about_an_unknown_client_are_a_404_page(
    panel: httpx.Client, api: httpx.Client, db: Backend
) -> None:
    cargar_demo(db)
    alerta = api.get("/api/alertas", params={"limit": 1}).json()["alertas"][0]
    for accion, datos in (
        ("/hoy/hecho", {"tipo": alerta["tipo"], "mensaje": alerta["mensaje"]}),
        ("/hoy/posponer", {"tipo": alerta["tipo"], "dias": "7"}),
    ):
        response = enviar(panel, "/", accion, {"cliente_id": "no-existe", **datos})
        _pagina_404(response, "/")
        assert "Cliente &#39;no-existe&#39; no encontrado" in response.text
    assert "Anotado en el historial" not in panel.get("/").text


def test_completing_an_activity_that_is_not_a_task_is_refused(
    panel: httpx.Client, api: httpx.Client, make_cliente: Any
) -> None:
    c = make_cliente()["id"]
    ruta = f"/clientes/{c}"
    llamada = api.post(
        f"/api/clientes/{c}/actividades", json={"tipo": "llamada", "titulo": "Llamada"}
    ).json()
    response = enviar(panel, ruta, f"{ruta}/actividades/{llamada['id']}/completar", {})
    assert response.status_code == 422
    assert "Solo se pueden completar las tareas: esta actividad es una llamada" in response.text
    assert "Tarea completada" not in response.text
    assert api.get(f"/api/clientes/{c}/actividades/{llamada['id']}").json()["completada"] is False

    # An invoice's entry: the API's own refusal, shown by the timeline.
    send(api, evento("emitida", factura_id="fac_t1", cliente_id=c), now=datetime.now(UTC))
    entrada = api.get(f"/api/clientes/{c}/actividades", params={"tipo": "factura"}).json()[0]
    response = enviar(panel, ruta, f"{ruta}/actividades/{entrada['id']}/completar", {})
    assert response.status_code == 422
    assert "las mantiene el webhook de facturación" in response.text
