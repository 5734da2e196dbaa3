"""The client 360 kept rendered per worker (`clientes.cache`): a warm read is one statement
and answers what a fresh build would, after every kind of write; `ETag` and `304`."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from typing import Any

import httpx
import pytest

from smartbilling_crm.clientes import repository as clientes_repo
from smartbilling_crm.clientes.cache import MAX_BYTES, Cache360, Marca, etag_coincide, etiquetar
from smartbilling_crm.salud import recalculo

from ..conftest import Backend
from ..salud_helpers import HOY, crear_cliente, historial_regular, importar
from ..webhook_helpers import evento, send

ID = "cli_cache"


@pytest.fixture
def cache(db: Backend) -> Iterator[Cache360]:
    """A fresh cache for this test (the app is shared by the session's tests)."""
    antes = db.app.state.cache_360
    db.app.state.cache_360 = Cache360(100)
    try:
        yield db.app.state.cache_360
    finally:
        db.app.state.cache_360 = antes


def _360(api: httpx.Client, **cabeceras: str) -> httpx.Response:
    respuesta = api.get(f"/api/clientes/{ID}", headers=cabeceras)
    assert respuesta.status_code in (200, 304), respuesta.text
    return respuesta


def _recien_hecho(db: Backend, api: httpx.Client) -> dict[str, Any]:
    """The 360 built now from the database, with nothing kept."""
    guardada = db.app.state.cache_360
    db.app.state.cache_360 = Cache360(0)
    try:
        return dict(_360(api).json())
    finally:
        db.app.state.cache_360 = guardada


def _cliente_con_historia(api: httpx.Client) -> None:
    crear_cliente(api, ID, "Caché S.L.")
    importar(api, historial_regular(ID))


def test_una_lectura_repetida_es_una_sentencia_y_los_mismos_bytes(
    db: Backend, api: httpx.Client, cache: Cache360, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A warm read is one statement on a driver connection (no session, no transaction of
    the app's: SQLAlchemy's statements stay at none)."""
    db.clock.set(HOY)
    _cliente_con_historia(api)
    marcas: list[str] = []
    leer_marca = clientes_repo.marca_360

    def contando(conexion: Any, dialecto: Any, cliente_id: str) -> Any:
        marcas.append(cliente_id)
        return leer_marca(conexion, dialecto, cliente_id)

    monkeypatch.setattr(clientes_repo, "marca_360", contando)
    primera = _360(api)
    assert marcas == [ID]  # the check (the one after building is in the building unit)
    marcas.clear()
    db.statements.clear()
    segunda = _360(api)
    assert marcas == [ID]
    assert db.statements == []
    assert segunda.content == primera.content
    assert segunda.headers["etag"] == primera.headers["etag"]
    assert segunda.headers["content-type"] == "application/json"
    assert segunda.headers["cache-control"] == "no-store"  # personal data, as every answer
    assert segunda.json()["salud"]["importe_vencido"] == 2500.0
    assert len(cache) == 1


def test_if_none_match_responde_304_sin_cuerpo_mientras_no_cambia(
    db: Backend, api: httpx.Client, cache: Cache360
) -> None:
    db.clock.set(HOY)
    _cliente_con_historia(api)
    etag = _360(api).headers["etag"]
    for cabecera in (etag, f"W/{etag}", f'"otra", {etag}', "*"):
        respuesta = _360(api, **{"If-None-Match": cabecera})
        assert respuesta.status_code == 304, cabecera
        assert respuesta.content == b""
        assert respuesta.headers["etag"] == etag
    assert _360(api, **{"If-None-Match": '"otra"'}).status_code == 200
    api.patch(f"/api/clientes/{ID}", json={"telefono": "+34 600 000 001"}).raise_for_status()
    cambiada = _360(api, **{"If-None-Match": etag})
    assert cambiada.status_code == 200
    assert cambiada.headers["etag"] != etag
    assert cambiada.json()["telefono"] == "+34600000001"


def _contacto(api: httpx.Client) -> str:
    respuesta = api.post(
        f"/api/clientes/{ID}/contactos",
        json={"nombre_completo": "Ana Ruiz", "rol": "Gerente", "email": "ana@cache.es"},
    )
    respuesta.raise_for_status()
    return str(respuesta.json()["id"])


def _actividad(api: httpx.Client) -> str:
    respuesta = api.post(
        f"/api/clientes/{ID}/actividades",
        json={"tipo": "llamada", "titulo": "Seguimiento", "fecha": "2026-01-19T09:00:00Z"},
    )
    respuesta.raise_for_status()
    return str(respuesta.json()["id"])


def _oportunidad(api: httpx.Client) -> str:
    respuesta = api.post(
        f"/api/clientes/{ID}/oportunidades",
        json={"nombre_proyecto": "Ampliación", "monto_estimado": 5000, "probabilidad_cierre": 50},
    )
    respuesta.raise_for_status()
    return str(respuesta.json()["id"])


def _webhook(db: Backend, api: httpx.Client, tipo: str, **campos: Any) -> None:
    payload = evento(tipo, factura_id=f"{ID}_nueva", cliente_id=ID, **campos)
    respuesta = send(api, payload, now=db.clock.now())
    assert respuesta.status_code == 200, respuesta.text


def _siguiente_dia(db: Backend, api: httpx.Client) -> None:
    db.clock.set(HOY + timedelta(days=1))


def _recalculo_de_manana(db: Backend, api: httpx.Client) -> None:
    manana = HOY + timedelta(days=1)
    db.clock.set(manana)
    recalculo.recalcular_todos(db.app.state.session_factory, db.app.state.settings, manana)


def _nada(api: httpx.Client) -> str:
    return ""


# Per kind of write: what exists before the 360 is kept (its id), then the write itself.
Preparar = Callable[[httpx.Client], str]
Escribir = Callable[[Backend, httpx.Client, str], None]
ESCRITURAS: dict[str, tuple[Preparar, Escribir]] = {
    "editar_cliente": (
        _nada,
        lambda db, api, _: api.patch(
            f"/api/clientes/{ID}", json={"notas": "Prefiere correo"}
        ).raise_for_status(),
    ),
    "marcar_perdido": (
        _nada,
        lambda db, api, _: api.patch(
            f"/api/clientes/{ID}", json={"estado": "cliente_perdido"}
        ).raise_for_status(),
    ),
    "crear_contacto": (_nada, lambda db, api, _: _contacto(api) and None),
    "editar_contacto": (
        _contacto,
        lambda db, api, id_: api.patch(
            f"/api/clientes/{ID}/contactos/{id_}", json={"rol": "Finanzas"}
        ).raise_for_status(),
    ),
    "borrar_contacto": (
        _contacto,
        lambda db, api, id_: api.delete(f"/api/clientes/{ID}/contactos/{id_}").raise_for_status(),
    ),
    "crear_actividad": (_nada, lambda db, api, _: _actividad(api) and None),
    "editar_actividad": (
        _actividad,
        lambda db, api, id_: api.patch(
            f"/api/clientes/{ID}/actividades/{id_}", json={"titulo": "Otra cosa"}
        ).raise_for_status(),
    ),
    "borrar_actividad": (
        _actividad,
        lambda db, api, id_: api.delete(f"/api/clientes/{ID}/actividades/{id_}").raise_for_status(),
    ),
    "crear_oportunidad": (_nada, lambda db, api, _: _oportunidad(api) and None),
    "editar_oportunidad": (
        _oportunidad,
        lambda db, api, id_: api.patch(
            f"/api/clientes/{ID}/oportunidades/{id_}", json={"probabilidad_cierre": 90}
        ).raise_for_status(),
    ),
    "ganar_oportunidad": (
        _oportunidad,
        lambda db, api, id_: api.put(
            f"/api/clientes/oportunidades/{id_}/ganada"
        ).raise_for_status(),
    ),
    "perder_oportunidad": (
        _oportunidad,
        lambda db, api, id_: api.put(
            f"/api/clientes/oportunidades/{id_}/perdida"
        ).raise_for_status(),
    ),
    "factura_emitida": (
        _nada,
        lambda db, api, _: _webhook(db, api, "emitida", fecha_emision="2026-01-15"),
    ),
    "factura_pagada": (
        _nada,
        lambda db, api, _: _webhook(
            db, api, "pagada", fecha_emision="2025-12-01", fecha_pago="2026-01-19"
        ),
    ),
    "importar": (
        _nada,
        lambda db, api, _: importar(
            api, [{**historial_regular(ID)[-1], "fecha_pago": "2026-01-18"}]
        ),
    ),
    "dia_siguiente": (_nada, lambda db, api, _: _siguiente_dia(db, api)),
    "recalculo_de_manana": (_nada, lambda db, api, _: _recalculo_de_manana(db, api)),
}


@pytest.mark.parametrize("escritura", list(ESCRITURAS))
def test_tras_cada_escritura_la_360_es_la_recien_hecha(
    db: Backend, api: httpx.Client, cache: Cache360, escritura: str
) -> None:
    """Whatever changed the client, the next read answers what a fresh build answers
    (and differs from the kept one: each of these writes changes what the 360 shows)."""
    db.clock.set(HOY)
    _cliente_con_historia(api)
    preparar, escribir = ESCRITURAS[escritura]
    id_ = preparar(api)
    guardada = _360(api).json()
    assert _360(api).json() == guardada  # kept
    escribir(db, api, id_)
    leida = _360(api).json()
    assert leida == _recien_hecho(db, api)
    assert leida != guardada


def test_sin_cache_cada_lectura_construye_la_360_sin_sentencias_de_mas(
    db: Backend, api: httpx.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`CRM_CACHE_360=0`: nothing is kept, no stamp is read, the answer is the same."""
    db.clock.set(HOY)
    _cliente_con_historia(api)
    con_cache = _360(api).content
    marcas: list[str] = []
    monkeypatch.setattr(clientes_repo, "marca_360", lambda *a: marcas.append(a[2]))
    monkeypatch.setattr(clientes_repo, "marca_360_en", lambda *a: marcas.append(a[1]))
    guardada = db.app.state.cache_360
    db.app.state.cache_360 = Cache360(0)
    try:
        respuesta = _360(api)
        assert respuesta.content == con_cache
        assert marcas == []
        assert len(db.app.state.cache_360) == 0
        assert "etag" in respuesta.headers
    finally:
        db.app.state.cache_360 = guardada


def test_un_cliente_borrado_es_404_y_su_360_no_queda_en_memoria(
    db: Backend, api: httpx.Client, cache: Cache360
) -> None:
    """GDPR erasure: its rendered 360 (name, email, contacts) goes with it, dropped by the
    worker that erased it, and by any other when it looks the client up."""
    db.clock.set(HOY)
    _cliente_con_historia(api)
    _360(api)
    assert len(cache) == 1
    api.delete(f"/api/clientes/{ID}").raise_for_status()
    assert len(cache) == 0
    cache.guardar(ID, Marca("antes", 1, "antes"), HOY.date(), etiquetar(b"{}"))  # another worker's
    assert api.get(f"/api/clientes/{ID}").status_code == 404
    assert len(cache) == 0


def test_la_cache_guarda_las_mas_recientes_de_hoy_hasta_su_capacidad() -> None:
    cache = Cache360(2)
    marca = Marca(datetime(2026, 1, 1), 1, datetime(2026, 1, 1))
    hoy = date(2026, 1, 20)
    for cliente in ("a", "b", "c"):
        cache.guardar(cliente, marca, hoy, etiquetar(cliente.encode()))
    assert cache.leer("a", marca, hoy) is None  # the least recently used went first
    assert cache.leer("c", marca, hoy) == etiquetar(b"c")
    assert cache.leer("c", marca, date(2026, 1, 21)) is None  # another day
    assert cache.leer("c", Marca(marca.creado, 2, marca.escrito), hoy) is None
    # The first 360 kept on a new day takes every one of earlier days with it.
    cache.guardar("d", marca, date(2026, 1, 21), etiquetar(b"d"))
    assert len(cache) == 1
    # One too large to keep is not kept.
    cache.guardar("e", marca, date(2026, 1, 21), etiquetar(b" " * (MAX_BYTES + 1)))
    assert cache.leer("e", marca, date(2026, 1, 21)) is None


def test_if_none_match() -> None:
    assert etag_coincide('"a"', '"a"')
    assert etag_coincide('W/"a"', '"a"')
    assert etag_coincide('"b", "a"', '"a"')
    assert etag_coincide("*", '"a"')
    assert not etag_coincide(None, '"a"')
    assert not etag_coincide('"b"', '"a"')


def test_la_360_declara_su_etiqueta_y_el_304(api: httpx.Client) -> None:
    """For code generators: the `If-None-Match` header, the `ETag` of the 200 and the 304."""
    operacion = api.get("/openapi.json").json()["paths"]["/api/clientes/{cliente_id}"]["get"]
    assert {"name": "if-none-match", "in": "header"}.items() <= operacion["parameters"][-1].items()
    for codigo in ("200", "304"):
        assert "ETag" in operacion["responses"][codigo]["headers"], codigo
