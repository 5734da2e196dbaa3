"""The panel over plain HTTP, on SQLite and PostgreSQL: the session, CSRF, each page and
each form, and that its writes follow the API's rules (read back through the API)."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, time, timedelta
from typing import Any

import httpx
import markupsafe
import pytest
from sqlalchemy import text
from stdnum.es import cif

from smartbilling_crm.config import DEV_USER_EMAIL, Settings
from smartbilling_crm.kit.db import transaction
from smartbilling_crm.main import create_app
from smartbilling_crm.panel import service as panel_service
from smartbilling_crm.usuarios import service as usuarios_service

from ..conftest import API_KEY, Backend, ServerThread, make_settings
from .conftest import cargar_demo, csrf_de, entrar, enviar


def test_without_a_session_every_page_sends_to_entrar(navegador: httpx.Client) -> None:
    assert navegador.get("/").headers["location"] == "/entrar"
    response = navegador.get("/clientes/demo-ebro")
    assert response.status_code == 303
    assert response.headers["location"] == "/entrar?siguiente=/clientes/demo-ebro"


def test_an_api_key_is_not_a_panel_session(navegador: httpx.Client) -> None:
    for headers in ({"Authorization": f"Bearer {API_KEY}"}, {"X-API-Key": API_KEY}):
        response = navegador.get("/", headers=headers)
        assert response.status_code == 303
        assert response.headers["location"] == "/entrar"


def test_login_sets_a_signed_httponly_lax_cookie_and_a_wrong_password_is_refused(
    navegador: httpx.Client,
) -> None:
    mal = entrar(navegador, contrasena="no-es-esta")
    assert mal.status_code == 401
    assert "El email o la contraseña no son correctos" in mal.text
    assert navegador.get("/").status_code == 303

    bien = entrar(navegador)
    assert bien.status_code == 303 and bien.headers["location"] == "/"
    cookie = bien.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie
    assert "secure" not in cookie  # development over plain HTTP
    assert DEV_USER_EMAIL not in bien.headers["set-cookie"]  # signed, no readable email
    hoy = navegador.get("/")
    assert hoy.status_code == 200
    assert "Qué hacer hoy" in hoy.text or "El CRM está vacío" in hoy.text


def test_login_returns_to_the_page_asked_for_but_never_to_another_site(
    navegador: httpx.Client,
) -> None:
    token = csrf_de(navegador.get("/entrar?siguiente=/pipeline").text)
    datos = {"csrf": token, "email": DEV_USER_EMAIL, "contrasena": "demo-cambiame"}
    response = navegador.post("/entrar", data={**datos, "siguiente": "/pipeline"})
    assert response.headers["location"] == "/pipeline"
    navegador.cookies.clear()
    token = csrf_de(navegador.get("/entrar").text)
    response = navegador.post(
        "/entrar", data={**datos, "csrf": token, "siguiente": "//evil.example/x"}
    )
    assert response.headers["location"] == "/"


def test_failed_logins_are_throttled_per_account(navegador: httpx.Client) -> None:
    for _ in range(5):
        assert entrar(navegador, contrasena="mal-mal-mal").status_code == 401
    # Even the right password waits now.
    bloqueado = entrar(navegador)
    assert bloqueado.status_code == 429
    assert "Demasiados intentos" in bloqueado.text and "Espera 15 min" in bloqueado.text
    assert 899 <= int(bloqueado.headers["retry-after"]) <= 900  # the 15 min window, in s


def test_a_form_without_its_csrf_token_is_refused_and_writes_nothing(
    panel: httpx.Client, api: httpx.Client, make_cliente: Any
) -> None:
    cliente = make_cliente()
    for datos in ({}, {"csrf": "otro-token"}):
        response = panel.post(
            f"/clientes/{cliente['id']}/actividades",
            data={**datos, "tipo": "llamada", "titulo": "Sin token"},
        )
        assert response.status_code == 403
        assert "código de seguridad" in response.text
    assert api.get(f"/api/clientes/{cliente['id']}/actividades").json() == []


def test_logout_ends_the_session(panel: httpx.Client, db: Backend) -> None:
    """On the server too: a copy of the session's cookie (another tab's, a stolen one)
    stayed valid for its 12 hours after "Salir" cleared the browser's."""
    copia = dict(panel.cookies)
    response = enviar(panel, "/", "/salir", {})
    assert response.status_code == 303 and response.headers["location"] == "/entrar"
    assert panel.get("/").status_code == 303
    with httpx.Client(base_url=db.server.base_url, cookies=copia, timeout=30) as otra:
        rechazada = otra.get("/")
        assert rechazada.status_code == 303 and rechazada.headers["location"] == "/entrar"
    # Logging in again opens a session that works...
    assert entrar(panel).status_code == 303
    assert panel.get("/").status_code == 200
    # ... which the shut-out copy cannot end by posting "Salir" itself (it has a CSRF token).
    with httpx.Client(base_url=db.server.base_url, cookies=copia, timeout=30) as otra:
        token = csrf_de(otra.get("/entrar").text)
        assert otra.post("/salir", data={"csrf": token}).status_code == 303
    assert panel.get("/").status_code == 200
    # "Salir" from the valid session ends it in turn.
    enviar(panel, "/", "/salir", {})
    assert panel.get("/").status_code == 303


def test_a_deactivated_user_is_out_at_once(panel: httpx.Client, db: Backend) -> None:
    with transaction(db.app.state.session_factory) as session:
        usuarios_service.desactivar(session, DEV_USER_EMAIL)
    assert panel.get("/").status_code == 303


def test_production_refuses_a_missing_or_placeholder_secret_key() -> None:
    base = {
        "CRM_ENV": "production",
        "CRM_API_KEYS": "k_8f2d7c6b5a4e3f2a1b0c9d8e7f6a5b4c",
        "CRM_WEBHOOK_SECRETS": "whsec_cHJvZHVjY2lvbi1zZWNyZXRvLTEyMzQ1Njc4OTA=",
    }
    for clave in ("", "cambiame-cambiame-cambiame-cambiame", "corta"):
        with pytest.raises(ValueError, match="CRM_SECRET_KEY"):
            Settings(_env_file=None, **base, CRM_SECRET_KEY=clave)  # type: ignore[call-arg]
    ok = Settings(_env_file=None, **base, CRM_SECRET_KEY="sk_Zq8Lr2Vw9Tx4Np7Hc3Jm6Bf1Gd5Ks0Ya")  # type: ignore[call-arg]
    assert ok.secret_key.startswith("sk_")


def test_an_empty_crm_says_how_to_load_the_demo(panel: httpx.Client) -> None:
    hoy = panel.get("/")
    assert "El CRM está vacío" in hoy.text
    assert "smartbilling-crm demo" in hoy.text
    assert hoy.headers["content-security-policy"].startswith("default-src 'self'")


def test_hoy_with_the_demo_lists_what_to_do_most_severe_first(
    panel: httpx.Client, db: Backend
) -> None:
    cargar_demo(db)
    hoy = panel.get("/").text
    assert "LTV total" in hoy and "Pipeline ponderado" in hoy
    severidades = re.findall(r'class="tarea sev-(\w+)"', hoy)
    orden = ["critica", "alta", "media", "baja"]
    assert severidades and severidades == sorted(severidades, key=orden.index)
    assert 'href="/clientes/demo-mediterraneo"' in hoy
    assert "Acción sugerida:</strong> Llamar a" in hoy
    assert "Facturas esperadas esta semana" in hoy


def _en_hoy(html: str, cliente_id: str, tipo: str, mensaje: str | None = None) -> bool:
    """Whether Hoy offers this client's alert of this type (with this text, if given)."""
    patron = (
        rf'name="cliente_id" value="{re.escape(cliente_id)}">\s*'
        rf'<input type="hidden" name="tipo" value="{re.escape(tipo)}">'
    )
    if mensaje is not None:
        valor = str(markupsafe.escape(mensaje))
        patron += rf'\s*<input type="hidden" name="mensaje" value="{re.escape(valor)}">'
    return re.search(patron, html) is not None


def test_done_and_snooze_from_hoy(panel: httpx.Client, db: Backend, api: httpx.Client) -> None:
    cargar_demo(db)
    alerta = api.get("/api/alertas", params={"limit": 1}).json()["alertas"][0]
    cliente_id, tipo = alerta["cliente_id"], alerta["tipo"]
    assert _en_hoy(panel.get("/").text, cliente_id, tipo)

    response = enviar(
        panel,
        "/",
        "/hoy/hecho",
        {"cliente_id": cliente_id, "tipo": tipo, "mensaje": alerta["mensaje"]},
    )
    assert response.status_code == 303
    timeline = api.get(f"/api/clientes/{cliente_id}/actividades").json()
    assert timeline[0]["titulo"].startswith("Hecho: ") and timeline[0]["completada"]
    hoy = panel.get("/").text
    assert not _en_hoy(hoy, cliente_id, tipo, alerta["mensaje"])  # resting for a week
    assert "1 pospuesta no se muestra." in hoy  # one alert resting, in the singular

    otra = api.get("/api/alertas", params={"limit": 1, "skip": 1}).json()["alertas"][0]
    enviar(
        panel,
        "/",
        "/hoy/posponer",
        {"cliente_id": otra["cliente_id"], "tipo": otra["tipo"], "dias": "1"},
    )
    assert not _en_hoy(panel.get("/").text, otra["cliente_id"], otra["tipo"])
    # Put off for 1 day: back tomorrow (it used to stay hidden through tomorrow too). Noon
    # of Madrid's next day, not 24 hours on: the day the clocks go back has 25.
    madrid = db.app.state.settings.tz
    manana = datetime.now(madrid).date() + timedelta(days=1)
    db.clock.set(datetime.combine(manana, time(12), tzinfo=madrid))
    assert _en_hoy(panel.get("/").text, otra["cliente_id"], otra["tipo"])


def test_done_on_an_overdue_task_completes_that_task(
    panel: httpx.Client, api: httpx.Client, make_cliente: Any
) -> None:
    """Hecho added a completed "Hecho: …" task beside the overdue one, which stayed pending,
    and the alert came back a week later."""
    c = make_cliente()["id"]
    hace_diez = (datetime.now(UTC) - timedelta(days=10)).isoformat()
    for titulo in ("Enviar presupuesto", "Llamar"):
        tarea = {"tipo": "tarea", "titulo": titulo, "fecha": hace_diez}
        assert api.post(f"/api/clientes/{c}/actividades", json=tarea).status_code == 201
    alertas = api.get("/api/alertas", params={"tipo": "tarea_vencida"}).json()["alertas"]
    alerta = next(a for a in alertas if "«Llamar»" in a["mensaje"])
    campos = {"cliente_id": c, "tipo": "tarea_vencida", "mensaje": alerta["mensaje"]}
    assert enviar(panel, "/", "/hoy/hecho", campos).status_code == 303
    tareas = api.get(f"/api/clientes/{c}/actividades", params={"tipo": "tarea"}).json()
    assert sorted((t["titulo"], t["completada"]) for t in tareas) == [
        ("Enviar presupuesto", False),
        ("Llamar", True),
    ]
    quedan = api.get("/api/alertas", params={"tipo": "tarea_vencida"}).json()["alertas"]
    assert [a["mensaje"] for a in quedan if a["cliente_id"] == c] == [
        a["mensaje"] for a in alertas if "«Enviar presupuesto»" in a["mensaje"]
    ]


def test_an_alert_put_off_shows_again_when_it_becomes_more_urgent(
    panel: httpx.Client, db: Backend, api: httpx.Client, make_cliente: Any
) -> None:
    """An invoice 10 days overdue (media) put off for 30 days turns critical on day 31: it
    is news, not what was put off."""
    ahora = datetime.now(UTC)
    db.clock.set(ahora)
    c = make_cliente()["id"]
    vence = (ahora - timedelta(days=10)).date()
    factura = {"id": "fac_sev", "numero": "2026/SEV", "cliente_id": c, "moneda": "EUR"}
    factura |= {"fecha_emision": (vence - timedelta(days=30)).isoformat()}
    factura |= {"fecha_vencimiento": vence.isoformat(), "base_imponible": 100, "total": 121}
    assert api.post("/api/facturas/importar", json=[factura]).status_code == 200
    (alerta,) = [
        a
        for a in api.get("/api/alertas", params={"tipo": "factura_vencida"}).json()["alertas"]
        if a["cliente_id"] == c
    ]
    assert alerta["severidad"] == "media"
    campos = {k: alerta[k] for k in ("cliente_id", "tipo", "mensaje", "severidad")}
    enviar(panel, "/", "/hoy/posponer", campos | {"dias": "30"})
    assert not _en_hoy(panel.get("/").text, c, "factura_vencida")
    db.clock.set(ahora + timedelta(days=3))  # 13 days overdue: still media, still put off
    assert api.post("/api/salud/recalcular").status_code in (200, 202)
    assert not _en_hoy(panel.get("/").text, c, "factura_vencida")
    db.clock.set(ahora + timedelta(days=10))  # 20 days overdue: alta, more urgent
    assert api.post("/api/salud/recalcular").status_code in (200, 202)
    assert _en_hoy(panel.get("/").text, c, "factura_vencida")


def test_an_alert_s_key_drops_only_its_day_count() -> None:
    """A task named "Llamar hoy a Pepe" is not "Llamar a Pepe"."""
    assert (
        panel_service.clave(
            "tarea_vencida", "La tarea «Llamar hoy a Pepe» venció el 01/12/2026 (hace 6 días)."
        )
        == "La tarea «Llamar hoy a Pepe» venció el 01/12/2026."
    )
    assert (
        panel_service.clave(
            "factura_vencida", "Factura 1 de 10,00 € sin pagar: venció el 01/12/2026, hace 1 día."
        )
        == "Factura 1 de 10,00 € sin pagar: venció el 01/12/2026."
    )
    estancada = "La oportunidad «Revisar hoyo» (1,00 €) está estancada: no hay actividad con "
    assert panel_service.clave(
        "oportunidad_estancada", estancada + "el cliente desde hace 20 días."
    ) == (estancada + "el cliente desde.")
    assert panel_service.clave("riesgo_pago", "Riesgo de impago alto: …") == ""


def test_hoy_says_how_many_alerts_are_past_the_ones_it_shows(
    panel: httpx.Client, db: Backend, api: httpx.Client, make_cliente: Any
) -> None:
    """Qué hacer hoy shows the 40 most urgent: it stopped there without a word."""
    cargar_demo(db)
    for n in range(30):  # a CIF with a wrong check digit: one alert each
        base = f"B{7000000 + n}"
        bueno = cif.calc_check_digits(base)[-1]
        make_cliente(cif_nif=base + ("0" if bueno != "0" else "1"))
    total = api.get("/api/alertas", params={"limit": 1}).json()["total"]
    assert total > 45
    hoy = panel.get("/").text
    assert hoy.count('<li class="tarea') == 40
    assert f"Se muestran las 40 más urgentes; hay {total - 40} alertas más" in hoy

    una = api.get("/api/alertas", params={"limit": 1}).json()["alertas"][0]
    formulario = {"cliente_id": una["cliente_id"], "tipo": una["tipo"], "dias": "7"}
    enviar(panel, "/", "/hoy/posponer", formulario | {"mensaje": una["mensaje"]})
    assert f"hay {total - 41} alertas más" in panel.get("/").text  # the put-off one is not


def test_snoozing_one_overdue_invoice_leaves_the_client_s_others_on_hoy(
    panel: httpx.Client, db: Backend, api: httpx.Client
) -> None:
    """Posponer (and Hecho) hid every alert of the type: the client's other overdue invoice,
    and one that fell overdue later, critical, went missing from Hoy."""
    cargar_demo(db)
    vencidas = [
        a
        for a in api.get("/api/alertas", params={"tipo": "factura_vencida", "limit": 100}).json()[
            "alertas"
        ]
        if a["cliente_id"] == "demo-mediterraneo"
    ]
    assert len(vencidas) == 2, vencidas
    una, otra = vencidas
    formulario = {"cliente_id": una["cliente_id"], "tipo": una["tipo"], "dias": "7"}
    enviar(panel, "/", "/hoy/posponer", formulario | {"mensaje": una["mensaje"]})
    hoy = panel.get("/").text
    assert not _en_hoy(hoy, una["cliente_id"], una["tipo"], una["mensaje"])
    assert _en_hoy(hoy, otra["cliente_id"], otra["tipo"], otra["mensaje"])

    # An invoice that falls overdue later is a new alert: shown.
    nueva = {"id": "fac_qa_1", "numero": "2026/QA1", "cliente_id": "demo-mediterraneo"}
    nueva |= {"fecha_emision": "2026-10-01", "fecha_vencimiento": "2026-11-01"}
    nueva |= {"base_imponible": 1000, "total": 1210, "moneda": "EUR"}
    assert api.post("/api/facturas/importar", json=[nueva]).status_code == 200
    hoy = panel.get("/").text
    assert "Factura 2026/QA1" in hoy
    # Days later, its day count changed, the snoozed one is still the one put off.
    db.clock.set(datetime.now(UTC) + timedelta(days=3))
    assert api.post("/api/salud/recalcular").status_code in (200, 202)
    hoy = panel.get("/").text
    assert "Factura 2026/QA1" in hoy
    numero = una["mensaje"].split()[1]
    assert f"Factura {numero}" not in hoy
    assert otra["mensaje"].split(":")[0] in hoy

    # A snooze without the alert's text (a page from before): the whole type, as it was.
    enviar(panel, "/", "/hoy/posponer", formulario | {"dias": "1"})
    assert "Factura 2026/QA1" not in panel.get("/").text


def test_client_list_searches_filters_sorts_pages_and_exports(
    panel: httpx.Client, make_cliente: Any
) -> None:
    make_cliente(nombre_empresa="Construcciones Álvarez S.L.", sector_industria="construcción")
    make_cliente(nombre_empresa="Panadería Núñez", sector_industria="alimentación")
    lista = panel.get("/clientes", params={"q": "ALVAREZ"}).text
    assert "Construcciones Álvarez S.L." in lista and "Panadería Núñez" not in lista
    lista = panel.get("/clientes", params={"sector": "Alimentacion"}).text
    assert "Panadería Núñez" in lista and "Álvarez" not in lista
    lista = panel.get("/clientes", params={"ordenar_por": "nombre_empresa", "orden": "asc"}).text
    assert lista.index("Construcciones") < lista.index("Panadería")
    # Unknown filter values are ignored, not an error page.
    assert panel.get("/clientes", params={"estado": "nada", "pagina": "x"}).status_code == 200
    csv = panel.get("/clientes/exportar.csv", params={"q": "nunez"})
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    assert "Panadería Núñez" in csv.content.decode("utf-8-sig")
    assert "Álvarez" not in csv.content.decode("utf-8-sig")


def test_the_export_link_keeps_the_list_s_filters_and_order(
    panel: httpx.Client, make_cliente: Any
) -> None:
    """The owner sorts the list, then exports it: the file comes in the order she saw."""
    for nombre in ("Alfa S.L.", "Beta S.L.", "Gamma S.L."):
        make_cliente(nombre_empresa=nombre, sector_industria="ocio")
    params = {"sector": "ocio", "ordenar_por": "nombre_empresa", "orden": "desc"}
    lista = panel.get("/clientes", params=params).text
    enlace = re.search(r'href="(/clientes/exportar\.csv\?[^"]*)"', lista)
    assert enlace is not None
    url = html.unescape(enlace[1])
    assert "ordenar_por=nombre_empresa" in url and "orden=desc" in url and "sector=ocio" in url
    texto = panel.get(url).content.decode("utf-8-sig")
    assert texto.index("Gamma S.L.") < texto.index("Beta S.L.") < texto.index("Alfa S.L.")
    # A link from before the order was passed on (filters only): by name, as it was.
    viejo = panel.get("/clientes/exportar.csv", params={"sector": "ocio"})
    texto = viejo.content.decode("utf-8-sig")
    assert texto.index("Alfa S.L.") < texto.index("Beta S.L.") < texto.index("Gamma S.L.")


def test_the_list_shows_the_figure_it_is_sorted_by(
    panel: httpx.Client, db: Backend, make_cliente: Any
) -> None:
    """Sorted by a figure that is none of the table's columns, the list shows it in one
    more; sorted by one of them, no extra column."""
    make_cliente(nombre_empresa="Riesgo Alto S.L.")
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE salud_cliente_extended SET riesgo_perdida_score = 87"))

    def cabeceras(html: str) -> list[str]:
        thead = html.split("<thead>", 1)[1].split("</thead>", 1)[0]
        return re.findall(r'<th scope="col"[^>]*>([^<]*)</th>', thead)

    por_riesgo = panel.get("/clientes", params={"ordenar_por": "riesgo_perdida_score"}).text
    assert cabeceras(por_riesgo)[-1] == "Riesgo de pérdida"
    fila = por_riesgo.split("Riesgo Alto S.L.", 1)[1].split("</tr>", 1)[0]
    assert re.findall(r'<td class="num">\s*([^<]*?)\s*</td>', fila)[-1] == "87"
    por_compra = panel.get("/clientes", params={"ordenar_por": "fecha_última_compra"}).text
    assert cabeceras(por_compra)[-1] == "Última compra"
    por_nombre = panel.get("/clientes", params={"ordenar_por": "nombre_empresa"}).text
    assert cabeceras(por_nombre)[-1] == "Sector"


def test_create_a_client_with_errors_next_to_the_fields(
    panel: httpx.Client, api: httpx.Client
) -> None:
    mal = enviar(panel, "/clientes", "/clientes", {"nombre_empresa": "", "email": "no-es-email"})
    assert mal.status_code == 422
    assert 'id="nuevo-email-error"' in mal.text and "email no válido" in mal.text
    assert 'id="nuevo-nombre_empresa-error"' in mal.text
    assert 'value="no-es-email"' in mal.text  # what was typed stays
    bien = enviar(
        panel,
        "/clientes",
        "/clientes",
        {"nombre_empresa": "Nueva S.L.", "email": "hola@nueva.es", "id": "nueva"},
    )
    assert bien.status_code == 303 and bien.headers["location"] == "/clientes/nueva"
    assert api.get("/api/clientes/nueva").json()["nombre_empresa"] == "Nueva S.L."
    duplicado = enviar(
        panel, "/clientes", "/clientes", {"nombre_empresa": "Otra", "email": "hola@nueva.es"}
    )
    assert duplicado.status_code == 422
    assert "Ya existe un cliente con el email" in duplicado.text


def test_register_a_call_in_the_ficha(panel: httpx.Client, api: httpx.Client, db: Backend) -> None:
    cargar_demo(db)
    ficha = "/clientes/demo-levante"
    assert api.get("/api/clientes/demo-levante").json()["salud"]["dias_sin_actividad"] > 0
    mal = enviar(panel, ficha, f"{ficha}/actividades", {"tipo": "llamada", "titulo": ""})
    assert mal.status_code == 422 and 'id="actividad-titulo-error"' in mal.text
    assert "falta y es obligatorio" in mal.text  # Spanish, as the CSV import says it
    sistema = enviar(panel, ficha, f"{ficha}/actividades", {"tipo": "factura", "titulo": "x"})
    assert sistema.status_code == 422 and "solo el webhook de facturación" in sistema.text

    response = enviar(
        panel,
        ficha,
        f"{ficha}/actividades",
        {"tipo": "llamada", "titulo": "Llamada de seguimiento", "duración_minutos": "15"},
    )
    assert response.status_code == 303
    pagina = panel.get(ficha).text
    assert "Llamada de seguimiento" in pagina and "Actividad registrada" in pagina
    cliente = api.get("/api/clientes/demo-levante").json()
    assert cliente["salud"]["dias_sin_actividad"] == 0
    assert cliente["actividades_recientes"][0]["duración_minutos"] == 15


def test_timeline_filters_and_completing_a_task(
    panel: httpx.Client, api: httpx.Client, make_cliente: Any
) -> None:
    c = make_cliente()["id"]
    api.post(f"/api/clientes/{c}/actividades", json={"tipo": "tarea", "titulo": "Enviar oferta"})
    api.post(f"/api/clientes/{c}/actividades", json={"tipo": "email", "titulo": "Correo previo"})
    solo = panel.get(f"/clientes/{c}", params={"tipo": "email"}).text
    assert "Correo previo" in solo and "Enviar oferta" not in solo
    tarea = api.get(f"/api/clientes/{c}/actividades", params={"pendientes": True}).json()[0]
    response = enviar(
        panel, f"/clientes/{c}", f"/clientes/{c}/actividades/{tarea['id']}/completar", {}
    )
    assert response.status_code == 303
    assert api.get(f"/api/clientes/{c}/actividades", params={"pendientes": True}).json() == []


def test_contacts_add_and_edit(panel: httpx.Client, api: httpx.Client, make_cliente: Any) -> None:
    c = make_cliente()["id"]
    ruta = f"/clientes/{c}"
    mal = enviar(
        panel, ruta, f"{ruta}/contactos", {"nombre_completo": "Ana", "rol": "", "email": "x"}
    )
    assert mal.status_code == 422 and 'id="contacto-rol-error"' in mal.text
    enviar(
        panel,
        ruta,
        f"{ruta}/contactos",
        {"nombre_completo": "Ana Ruiz", "rol": "Contable", "es_contacto_financiero": "on"},
    )
    contacto = api.get(f"/api/clientes/{c}/contactos").json()[0]
    assert contacto["es_contacto_financiero"] and not contacto["es_contacto_principal"]
    enviar(
        panel,
        ruta,
        f"{ruta}/contactos/{contacto['id']}",
        {
            "nombre_completo": "Ana Ruiz Gil",
            "rol": "Directora financiera",
            "es_contacto_principal": "on",
        },
    )
    editado = api.get(f"/api/clientes/{c}/contactos/{contacto['id']}").json()
    assert editado["nombre_completo"] == "Ana Ruiz Gil" and editado["es_contacto_principal"]
    assert not editado["es_contacto_financiero"]  # unticked box


def test_opportunity_created_then_won_makes_the_prospect_active(
    panel: httpx.Client, api: httpx.Client, make_cliente: Any
) -> None:
    c = make_cliente()["id"]
    ruta = f"/clientes/{c}"
    mal = enviar(
        panel, ruta, f"{ruta}/oportunidades", {"nombre_proyecto": "ERP", "monto_estimado": "-5"}
    )
    assert mal.status_code == 422 and 'id="oportunidad-monto_estimado-error"' in mal.text
    assert "debe ser mayor o igual que 0" in mal.text  # the API's own message
    enviar(
        panel,
        ruta,
        f"{ruta}/oportunidades",
        {
            "nombre_proyecto": "Implementación ERP",
            "monto_estimado": "45000",
            "estado": "presupuesto",
        },
    )
    op = api.get(f"/api/clientes/{c}/oportunidades").json()[0]
    assert op["probabilidad_cierre"] == 50  # the stage's default, as in the API
    response = enviar(
        panel,
        ruta,
        f"{ruta}/oportunidades/{op['id']}/cerrar",
        {"resultado": "ganada", "valor_final": "42.000,00"},
    )
    assert response.status_code == 303
    ganada = api.get(f"/api/clientes/{c}/oportunidades/{op['id']}").json()
    assert ganada["estado"] == "ganada" and ganada["valor_ganado"] == 42000
    assert api.get(f"/api/clientes/{c}").json()["estado"] == "cliente_activo"


def test_edit_the_client_and_mark_it_lost(
    panel: httpx.Client, api: httpx.Client, make_cliente: Any
) -> None:
    c = make_cliente()["id"]
    ruta = f"/clientes/{c}"
    mal = enviar(panel, ruta, f"{ruta}/editar", {"telefono": "123"})
    assert mal.status_code == 422 and 'id="editar-telefono-error"' in mal.text
    enviar(panel, ruta, f"{ruta}/editar", {"ciudad": "Zaragoza", "estado": "cliente_perdido"})
    cliente = api.get(f"/api/clientes/{c}").json()
    assert cliente["ciudad"] == "Zaragoza" and cliente["estado"] == "cliente_perdido"


def test_unknown_client_is_a_404_page(panel: httpx.Client) -> None:
    response = panel.get("/clientes/no-existe")
    assert response.status_code == 404 and "Cliente no encontrado" in response.text


def test_pipeline_shows_every_stage_and_moves_an_opportunity(
    panel: httpx.Client, api: httpx.Client, make_cliente: Any
) -> None:
    c = make_cliente()["id"]
    op = api.post(
        f"/api/clientes/{c}/oportunidades",
        json={"nombre_proyecto": "Renovación", "monto_estimado": 1000},
    ).json()
    pagina = panel.get("/pipeline").text
    for etapa in ("Identificada", "Contactado", "Presupuesto", "Negociación", "Ganada"):
        assert etapa in pagina
    assert "Previsión 30 días" in pagina and "Renovación" in pagina
    response = enviar(
        panel,
        "/pipeline",
        "/pipeline/mover",
        {"cliente_id": c, "oportunidad_id": op["id"], "estado": "negociación"},
    )
    assert response.status_code == 303
    movida = api.get(f"/api/clientes/{c}/oportunidades/{op['id']}").json()
    assert movida["estado"] == "negociación" and movida["probabilidad_cierre"] == 70
    assert "ahora en" in panel.get("/pipeline").text


def test_production_marks_the_cookie_secure_and_creates_no_demo_user(db: Backend) -> None:
    db.truncate()
    produccion = make_settings(
        db.url,
        CRM_ENV="production",
        CRM_API_KEYS="k_8f2d7c6b5a4e3f2a1b0c9d8e7f6a5b4c",
        CRM_WEBHOOK_SECRETS="whsec_cHJvZHVjY2lvbi1zZWNyZXRvLTEyMzQ1Njc4OTA=",
        CRM_SECRET_KEY="sk_Zq8Lr2Vw9Tx4Np7Hc3Jm6Bf1Gd5Ks0Ya",
    )
    server = ServerThread(create_app(produccion))
    server.start()
    try:
        with httpx.Client(base_url=server.base_url, timeout=30) as client:
            pagina = client.get("/entrar")
            assert "secure" in pagina.headers["set-cookie"].lower()
            assert "demo-cambiame" not in pagina.text  # no development hint
            token = csrf_de(pagina.text)
            # httpx keeps a Secure cookie off plain HTTP, as a browser would: send it by hand.
            cookie = pagina.headers["set-cookie"].split(";")[0]
            response = client.post(
                "/entrar",
                data={"csrf": token, "email": DEV_USER_EMAIL, "contrasena": "demo-cambiame"},
                headers={"Cookie": cookie},
            )
            assert response.status_code == 401  # production never creates the demo user
    finally:
        server.stop()
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM usuarios")).scalar_one() == 0
