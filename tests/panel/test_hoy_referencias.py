"""An alert names what it is about (`referencia_id`: the invoice, the task, the deal), and Hoy
tells one alert from another by it, whatever its text becomes. Before, Hoy keyed a snooze by
the text without its day count, and a partial payment or an edited title brought the alert
back, or made "Hecho" miss the task. On SQLite and PostgreSQL, at a fixed date."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import text

from smartbilling_crm.kit.db import transaction

from ..conftest import Backend
from ..salud_helpers import HOY, crear_cliente
from ..webhook_helpers import evento, send
from .conftest import enviar

# HOY is 20/01/2026: the invoice is 50 days overdue, the task 5 days, the deal's close 10.
VENCIDA = {
    "factura_id": "f_ref",
    "cliente_id": "c_ref",
    "numero": "2025/REF",
    "fecha_emision": "2025-11-01",
    "fecha_vencimiento": "2025-12-01",
    "base": "500.00",
    "total": "605.00",
}
TIPOS_CON_REFERENCIA = ("factura_vencida", "tarea_vencida", "oportunidad_estancada")


def _alertas(api: httpx.Client, cliente_id: str) -> list[dict[str, Any]]:
    response = api.get(f"/api/clientes/{cliente_id}/recomendaciones")
    assert response.status_code == 200, response.text
    alertas: list[dict[str, Any]] = response.json()["alertas"]
    return alertas


def _de_cartera(api: httpx.Client, cliente_id: str, tipo: str) -> dict[str, Any]:
    filas = api.get("/api/alertas", params={"tipo": tipo, "limit": 100}).json()["alertas"]
    (fila,) = [a for a in filas if a["cliente_id"] == cliente_id]
    return dict(fila)


def _ofrecida(panel: httpx.Client, referencia_id: str) -> bool:
    """Whether Hoy offers Hecho and Posponer for the alert about this invoice, task or deal."""
    return f'name="referencia_id" value="{referencia_id}"' in panel.get("/").text


def _con_todo(db: Backend, api: httpx.Client) -> dict[str, str]:
    """A client with an overdue invoice, an overdue task, a stalled deal and no contact."""
    db.clock.set(HOY)
    crear_cliente(api, "c_ref", "Referencias S.L.")
    response = send(api, evento("emitida", **VENCIDA), now=HOY)
    assert response.status_code == 200, response.text
    tarea = {"tipo": "tarea", "titulo": "Llamar", "fecha": "2026-01-15T09:00:00+00:00"}
    response = api.post("/api/clientes/c_ref/actividades", json=tarea)
    assert response.status_code == 201, response.text
    tarea_id = response.json()["id"]
    oportunidad = {
        "nombre_proyecto": "Web nueva",
        "monto_estimado": 3000,
        "fecha_cierre_estimada": "2026-01-10",
    }
    response = api.post("/api/clientes/c_ref/oportunidades", json=oportunidad)
    assert response.status_code == 201, response.text
    return {"tarea": tarea_id, "oportunidad": response.json()["id"]}


def test_each_alert_names_the_invoice_task_or_deal_it_is_about(
    db: Backend, api: httpx.Client
) -> None:
    ids = _con_todo(db, api)
    por_tipo = {a["tipo"]: a["referencia_id"] for a in _alertas(api, "c_ref")}
    assert por_tipo["factura_vencida"] == "f_ref"
    assert por_tipo["tarea_vencida"] == ids["tarea"]
    assert por_tipo["oportunidad_estancada"] == ids["oportunidad"]
    assert por_tipo["sin_contacto_principal"] is None  # a client has it once: nothing to name
    # The portfolio's list says the same, and so does the daily recompute.
    assert _de_cartera(api, "c_ref", "tarea_vencida")["referencia_id"] == ids["tarea"]
    assert api.post("/api/salud/recalcular").status_code in (200, 202)
    despues = {a["tipo"]: a["referencia_id"] for a in _alertas(api, "c_ref")}
    assert despues.items() >= {(t, por_tipo[t]) for t in TIPOS_CON_REFERENCIA}


def test_the_recompute_fills_in_alerts_stored_before_they_named_anything(
    db: Backend, api: httpx.Client
) -> None:
    """Alerts stored before the migration have no `referencia_id` until the client's next
    refresh or the next daily recompute, which updates them in place."""
    ids = _con_todo(db, api)
    antes = _alertas(api, "c_ref")
    with transaction(db.app.state.session_factory) as session:
        session.execute(text("UPDATE alertas_cliente SET referencia_id = NULL"))
    assert all(a["referencia_id"] is None for a in _alertas(api, "c_ref"))
    assert api.post("/api/salud/recalcular").status_code in (200, 202)
    despues = {a["tipo"]: a["referencia_id"] for a in _alertas(api, "c_ref")}
    assert despues.items() >= {(a["tipo"], a["referencia_id"]) for a in antes}
    assert {despues[t] for t in TIPOS_CON_REFERENCIA} == {"f_ref", *ids.values()}


def test_a_snoozed_invoice_stays_put_off_when_a_partial_payment_changes_its_text(
    panel: httpx.Client, db: Backend, api: httpx.Client
) -> None:
    _con_todo(db, api)
    alerta = _de_cartera(api, "c_ref", "factura_vencida")
    campos = {k: alerta[k] for k in ("cliente_id", "tipo", "mensaje", "severidad", "referencia_id")}
    enviar(panel, "/", "/hoy/posponer", campos | {"dias": "7"})
    assert "Factura 2025/REF" not in panel.get("/").text

    cobro = {**evento("cobro", **VENCIDA), "cobro": {"id": "cob_1", "fecha": "2026-01-19"}}
    cobro["cobro"]["importe"] = 100
    assert send(api, cobro, now=HOY).status_code == 200
    ahora = _de_cartera(api, "c_ref", "factura_vencida")
    assert "quedan 505,00 €" in ahora["mensaje"]  # another text, the same invoice
    assert "Factura 2025/REF" not in panel.get("/").text


def test_done_on_an_overdue_task_completes_it_even_after_its_title_changed(
    panel: httpx.Client, db: Backend, api: httpx.Client
) -> None:
    """A page read before the task was renamed: its text names the old title."""
    ids = _con_todo(db, api)
    alerta = _de_cartera(api, "c_ref", "tarea_vencida")
    cambio = {"titulo": "Llamar a Marta"}
    response = api.patch(f"/api/clientes/c_ref/actividades/{ids['tarea']}", json=cambio)
    assert response.status_code == 200, response.text
    campos = {k: alerta[k] for k in ("cliente_id", "tipo", "mensaje", "severidad", "referencia_id")}
    respuesta = enviar(panel, "/", "/hoy/hecho", campos)
    assert respuesta.status_code == 303
    assert "Tarea «Llamar a Marta» completada." in panel.get("/").text
    tareas = api.get("/api/clientes/c_ref/actividades", params={"tipo": "tarea"}).json()
    assert [(t["titulo"], t["completada"]) for t in tareas] == [("Llamar a Marta", True)]
    assert all(a["tipo"] != "tarea_vencida" for a in _alertas(api, "c_ref"))


def test_done_on_a_task_deleted_meanwhile_says_so_and_records_nothing(
    panel: httpx.Client, db: Backend, api: httpx.Client
) -> None:
    """It recorded a completed "Hecho: La tarea …" entry for a task that no longer existed."""
    ids = _con_todo(db, api)
    alerta = _de_cartera(api, "c_ref", "tarea_vencida")
    assert api.delete(f"/api/clientes/c_ref/actividades/{ids['tarea']}").status_code == 204
    campos = {k: alerta[k] for k in ("cliente_id", "tipo", "mensaje", "severidad", "referencia_id")}
    respuesta = enviar(panel, "/", "/hoy/hecho", campos)
    assert respuesta.status_code == 404
    assert "La tarea de esta alerta ya no existe" in respuesta.text
    assert api.get("/api/clientes/c_ref/actividades", params={"tipo": "tarea"}).json() == []


def test_the_latest_snooze_wins(panel: httpx.Client, db: Backend, api: httpx.Client) -> None:
    """An invoice put off for 30 days at "media" comes back when it turns "alta"; put off
    again for 1 day, it shows the next day (the first snooze's end used to win: weeks)."""
    db.clock.set(HOY)
    crear_cliente(api, "c_sev", "Severidad S.L.")
    reciente = {**VENCIDA, "factura_id": "f_sev", "cliente_id": "c_sev", "numero": "2026/SEV"}
    reciente |= {"fecha_emision": "2025-12-10", "fecha_vencimiento": "2026-01-10"}
    assert send(api, evento("emitida", **reciente), now=HOY).status_code == 200
    alerta = _de_cartera(api, "c_sev", "factura_vencida")
    assert alerta["severidad"] == "media"  # 10 days overdue
    campos = {k: alerta[k] for k in ("cliente_id", "tipo", "mensaje", "severidad", "referencia_id")}
    aviso = enviar(panel, "/", "/hoy/posponer", campos | {"dias": "30"})
    assert aviso.status_code == 303
    assert "Pospuesta 30 días: vuelve a Hoy el 19/02/2026." in panel.get("/").text
    assert not _ofrecida(panel, "f_sev")

    db.clock.set(HOY + timedelta(days=6))  # 16 days overdue: alta, more urgent: back
    assert api.post("/api/salud/recalcular").status_code in (200, 202)
    alerta = _de_cartera(api, "c_sev", "factura_vencida")
    assert alerta["severidad"] == "alta" and _ofrecida(panel, "f_sev")
    campos = {k: alerta[k] for k in ("cliente_id", "tipo", "mensaje", "severidad", "referencia_id")}
    enviar(panel, "/", "/hoy/posponer", campos | {"dias": "1"})
    assert not _ofrecida(panel, "f_sev")
    db.clock.set(HOY + timedelta(days=7))
    assert _ofrecida(panel, "f_sev")


def test_done_on_an_alert_about_the_record_is_no_contact_with_the_client(
    panel: httpx.Client, db: Backend, api: httpx.Client
) -> None:
    """ "Hecho" on "no tiene contacto financiero" wrote a completed task, which §8 counts as
    an interaction: the client's silence ended (days without activity 0) and with it the
    inactivity alert, though nobody had talked to the client. It now only rests the alert."""
    _con_todo(db, api)
    antes = api.get("/api/clientes/c_ref/salud").json()
    historial = api.get("/api/clientes/c_ref/actividades").json()
    alerta = _de_cartera(api, "c_ref", "sin_contacto_financiero")
    assert alerta["mensaje"] in panel.get("/").text
    claves = ("cliente_id", "tipo", "mensaje", "severidad", "referencia_id")
    campos = {k: alerta[k] or "" for k in claves}
    respuesta = enviar(panel, "/", "/hoy/hecho", campos)
    assert respuesta.status_code == 303
    hoy = panel.get("/").text
    assert "Hecho: la alerta descansa una semana (no es un contacto con el cliente)." in hoy
    assert api.get("/api/clientes/c_ref/actividades").json() == historial  # nothing written
    despues = api.get("/api/clientes/c_ref/salud").json()
    assert despues["dias_sin_actividad"] == antes["dias_sin_actividad"]
    recientes = "numero_actividades_ultimos_30_dias"
    assert despues[recientes] == antes[recientes]
    assert alerta["mensaje"] not in hoy  # resting a week, as after any "Hecho"
