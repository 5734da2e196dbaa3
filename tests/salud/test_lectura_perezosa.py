"""A stored health row from an earlier day is recomputed once, by the first read of that
client that day (issue 14.1): the figures move with time, the reads after it run no engine,
and first reads racing each other all answer 200 and recompute once, on both databases."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import text

from ..conftest import Backend

# 22:00 UTC is 23:00 in Madrid: an hour and a half later it is already tomorrow there.
AYER = datetime(2026, 3, 2, 22, 0, tzinfo=UTC)
HOY = AYER + timedelta(minutes=90)


def _cliente_con_actividad(db: Backend, api: httpx.Client, make_cliente: Any) -> str:
    db.clock.set(AYER)
    cliente_id: str = make_cliente()["id"]
    response = api.post(
        f"/api/clientes/{cliente_id}/actividades",
        json={"tipo": "llamada", "titulo": "Llamada", "fecha": "2026-02-27T10:00:00"},
    )
    assert response.status_code == 201, response.text
    return cliente_id


def test_a_row_from_yesterday_is_recomputed_once_by_the_first_read_of_today(
    db: Backend, api: httpx.Client, make_cliente: Any, motores: Counter[str]
) -> None:
    cliente_id = _cliente_con_actividad(db, api, make_cliente)
    ayer = api.get(f"/api/clientes/{cliente_id}").json()["salud"]
    assert ayer["dias_sin_actividad"] == 3 and ayer["fecha_calculo"] == "2026-03-02"
    motores.clear()

    db.clock.set(HOY)
    hoy = api.get(f"/api/clientes/{cliente_id}").json()["salud"]
    assert hoy["dias_sin_actividad"] == 4 and hoy["fecha_calculo"] == "2026-03-03"
    assert motores == Counter(salud=1, reglas=1)  # recomputed and stored, once

    motores.clear()
    assert api.get(f"/api/clientes/{cliente_id}").json()["salud"] == hoy
    assert api.get(f"/api/clientes/{cliente_id}/salud").json() == hoy
    assert api.get(f"/api/clientes/{cliente_id}/recomendaciones").status_code == 200
    assert motores == Counter()
    # Stored, so the list (which reads the rows as they are) moved too.
    fila = api.get("/api/clientes/").json()["clientes"][0]
    assert fila["dias_sin_actividad"] == 4


def test_each_single_client_read_refreshes_a_stale_row(
    db: Backend, api: httpx.Client, make_cliente: Any, motores: Counter[str]
) -> None:
    for ruta in ("/salud", "/recomendaciones"):
        cliente_id = _cliente_con_actividad(db, api, make_cliente)
        motores.clear()
        db.clock.set(HOY)
        assert api.get(f"/api/clientes/{cliente_id}{ruta}").status_code == 200
        assert motores == Counter(salud=1, reglas=1), ruta
        assert api.get(f"/api/clientes/{cliente_id}/salud").json()["dias_sin_actividad"] == 4


def test_a_row_without_stored_recommendations_is_stale(
    db: Backend, api: httpx.Client, make_cliente: Any, motores: Counter[str]
) -> None:
    """Rows written before the recommendations were stored are refreshed on first read."""
    db.clock.set(AYER)
    cliente_id = make_cliente(cif_nif="A12345678")["id"]  # a wrong check digit: an alert
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE salud_cliente_extended SET recomendaciones = NULL"))
    motores.clear()
    body = api.get(f"/api/clientes/{cliente_id}/recomendaciones").json()
    assert motores == Counter(salud=1, reglas=1)
    assert "cif_nif_invalido" in [a["tipo"] for a in body["alertas"]]
    assert body["acciones_sugeridas"]


def test_a_client_without_a_row_gets_one_on_first_read(
    db: Backend, api: httpx.Client, make_cliente: Any
) -> None:
    db.clock.set(AYER)
    cliente_id = make_cliente()["id"]
    with db.engine.begin() as conn:
        conn.execute(text("DELETE FROM salud_cliente_extended"))
    assert api.get(f"/api/clientes/{cliente_id}").json()["salud"]["salud_general"] == "excelente"
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM salud_cliente_extended")).scalar() == 1


def test_first_reads_racing_all_answer_and_recompute_once(
    db: Backend, api: httpx.Client, make_cliente: Any, motores: Counter[str]
) -> None:
    """Several first reads of a stale (here: missing) row at once: no IntegrityError, no
    500, one recompute; the others wait for it and read what it stored."""
    cliente_id = _cliente_con_actividad(db, api, make_cliente)
    with db.engine.begin() as conn:
        conn.execute(text("DELETE FROM salud_cliente_extended"))
    db.clock.set(HOY)
    motores.clear()
    barrera = threading.Barrier(6)
    respuestas: list[httpx.Response] = []

    def leer(ruta: str) -> None:
        with httpx.Client(base_url=str(api.base_url), headers=api.headers, timeout=30) as c:
            barrera.wait()
            respuestas.append(c.get(f"/api/clientes/{cliente_id}{ruta}"))

    rutas = ("", "/salud", "/recomendaciones") * 2
    hilos = [threading.Thread(target=leer, args=(ruta,)) for ruta in rutas]
    for hilo in hilos:
        hilo.start()
    for hilo in hilos:
        hilo.join()
    assert [r.status_code for r in respuestas] == [200] * 6, [r.text for r in respuestas]
    assert motores == Counter(salud=1, reglas=1)
    saludes = [r.json().get("salud", r.json()) for r in respuestas if "alertas" not in r.json()]
    assert {s["dias_sin_actividad"] for s in saludes} == {4}


def test_first_reads_racing_writes_all_answer_and_the_last_word_is_the_writes(
    db: Backend, api: httpx.Client, make_cliente: Any
) -> None:
    """First reads of a stale row racing writes to the same client: every request answers
    (no deadlock, no 500), the alerts are stored once, and what is stored in the end counts
    every write."""
    cliente_id = _cliente_con_actividad(db, api, make_cliente)
    db.clock.set(HOY)
    barrera = threading.Barrier(6)
    respuestas: list[httpx.Response] = []

    def peticion(n: int) -> None:
        with httpx.Client(base_url=str(api.base_url), headers=api.headers, timeout=30) as c:
            barrera.wait()
            if n % 2:
                respuestas.append(c.get(f"/api/clientes/{cliente_id}"))
            else:
                contacto = {"nombre_completo": f"Persona {n}", "rol": "Compras"}
                contacto["es_contacto_principal"] = n == 0
                respuestas.append(c.post(f"/api/clientes/{cliente_id}/contactos", json=contacto))

    hilos = [threading.Thread(target=peticion, args=(n,)) for n in range(6)]
    for hilo in hilos:
        hilo.start()
    for hilo in hilos:
        hilo.join()
    assert sorted(r.status_code for r in respuestas) == [200] * 3 + [201] * 3, [
        r.text for r in respuestas
    ]
    body = api.get(f"/api/clientes/{cliente_id}/recomendaciones").json()
    alertas = [(a["tipo"], a["mensaje"]) for a in body["alertas"]]
    assert len(alertas) == len(set(alertas)), alertas
    # Three contacts, one of them principal: the "no principal contact" alert is gone.
    assert "sin_contacto_principal" not in [tipo for tipo, _ in alertas]
    assert len(api.get(f"/api/clientes/{cliente_id}").json()["contactos"]) == 3
