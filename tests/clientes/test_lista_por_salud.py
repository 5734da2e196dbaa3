"""The client list sorted by a health figure (`riesgo_perdida_score`, `dias_sin_actividad`):
every page in order, a client never contacted as the longest silence, a client without a
health row yet at the end either way, and a page read from the health row's index instead
of sorting the whole portfolio (issue 14.3)."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import delete, insert

from smartbilling_crm.models import Cliente, SaludCliente

from ..conftest import Backend
from .test_busqueda_indice import _planes

CLIENTES = 3000
PALABRAS = ("Norte", "Sur", "Textil Ibérica")
SECTORES = ("textil", "energia", "hosteleria")
SIN_FILA = 7  # clients whose health row is not stored yet
NUNCA = 2**31  # sorts after every real silence (the service's constant is 2**31 - 1)


@pytest.fixture
def cartera(db: Backend) -> Iterator[dict[str, dict[str, Any]]]:
    """3,000 clients and their health rows written straight to the tables: scores in a few
    values (many ties), a tenth never contacted, 1 % VIP, and `SIN_FILA` without a row (a
    VIP among them). Returns each client's estado and figures."""
    rng = random.Random(14)
    instante = datetime(2026, 1, 1, tzinfo=UTC)
    clientes, salud, figuras = [], [], {}
    for n in range(CLIENTES):
        cliente_id = f"c{n:05d}"
        estado = "vip" if n % 100 == 7 else rng.choice(("prospecto", "cliente_activo"))
        sector = rng.choice(SECTORES)
        nombre = f"{rng.choice(PALABRAS)} {n}"
        clientes.append(
            {
                "id": cliente_id,
                "nombre_empresa": nombre,
                "email": f"info{n}@cliente{n}.es",
                "busqueda": f"{nombre.lower()} info{n}@cliente{n}.es",
                "sector_industria": sector,
                "sector_plegado": sector,
                "estado": estado,
                "fecha_primer_contacto": instante,
                "fecha_creacion": instante,
                "fecha_actualizacion": instante,
            }
        )
        fila = {
            "riesgo_perdida_score": rng.choice((0, 10, 35, 80, 100)),
            "dias_sin_actividad": None if rng.random() < 0.1 else rng.randrange(400),
        }
        salud.append({"cliente_id": cliente_id, **fila})
        figuras[cliente_id] = {"estado": estado, "sector": sector, "nombre": nombre, **fila}
    sin_fila = ["c00007", *rng.sample(sorted(figuras)[8:], SIN_FILA - 1)]
    with db.engine.begin() as conn:
        conn.execute(insert(Cliente), clientes)
        conn.execute(insert(SaludCliente), salud)
        conn.execute(delete(SaludCliente).where(SaludCliente.cliente_id.in_(sin_fila)))
    for cliente_id in sin_fila:
        for clave in ("riesgo_perdida_score", "dias_sin_actividad"):
            del figuras[cliente_id][clave]
    if db.name == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE clientes_extended, salud_cliente_extended")
    yield figuras


def _esperado(
    figuras: dict[str, dict[str, Any]], ordenar_por: str, orden: str, filtro: dict[str, str]
) -> list[str]:
    """The order the owner expects: by the figure, ties by id, in the asked direction; a
    client never contacted as the longest silence; clients without a row last, by id."""
    desc = orden == "desc"

    def elegido(f: dict[str, Any]) -> bool:
        return (
            filtro.get("estado") in (None, f["estado"])
            and filtro.get("sector") in (None, f["sector"])
            and filtro.get("q", "").lower() in f["nombre"].lower()
        )

    elegidos = {i: f for i, f in figuras.items() if elegido(f)}
    con_fila = [i for i, f in elegidos.items() if ordenar_por in f]

    def clave(cliente_id: str) -> tuple[int, str]:
        valor = elegidos[cliente_id][ordenar_por]
        return (NUNCA if valor is None else valor), cliente_id

    sin_fila = sorted((i for i in elegidos if i not in con_fila), reverse=desc)
    return sorted(con_fila, key=clave, reverse=desc) + sin_fila


def _pagina(api: httpx.Client, **params: Any) -> dict[str, Any]:
    respuesta = api.get("/api/clientes/", params=params)
    assert respuesta.status_code == 200, respuesta.text
    pagina: dict[str, Any] = respuesta.json()
    return pagina


# Half the clients match "cliente_activo", a third each word and sector: the page walks the
# figure's index testing each one. 1 % are VIP, and "norte 12" names a few dozen: their
# matches are read and sorted. On SQLite a term of three letters or more goes through the
# trigram index first, a shorter one through LIKE.
FILTROS = {
    "todos": {},
    "activos": {"estado": "cliente_activo"},
    "vip": {"estado": "vip"},
    "sector": {"sector": "textil"},
    "palabra_y_estado": {"q": "norte", "estado": "cliente_activo"},
    "palabra_y_sector": {"q": "sur", "sector": "textil"},
    "nombre_raro": {"q": "norte 12"},
    "corta": {"q": "su", "estado": "prospecto"},
}


@pytest.mark.parametrize("filtrado", FILTROS)
def test_every_page_in_order_and_clients_without_a_health_row_last(
    api: httpx.Client, cartera: dict[str, dict[str, Any]], filtrado: str
) -> None:
    for ordenar_por in ("riesgo_perdida_score", "dias_sin_actividad"):
        for orden in ("desc", "asc"):
            _comprobar_paginas(api, cartera, ordenar_por, orden, FILTROS[filtrado])


def _comprobar_paginas(
    api: httpx.Client,
    cartera: dict[str, dict[str, Any]],
    ordenar_por: str,
    orden: str,
    filtrado: dict[str, str],
) -> None:
    esperado = _esperado(cartera, ordenar_por, orden, filtrado)
    filtro = {"ordenar_por": ordenar_por, "orden": orden, **filtrado}
    leido: list[str] = []
    while len(leido) < len(esperado):
        pagina = _pagina(api, skip=len(leido), limit=100, **filtro)
        assert pagina["total"] == len(esperado)
        assert pagina["clientes"], "a page came back empty before the end"
        leido += [c["id"] for c in pagina["clientes"]]
    assert leido == esperado
    # Small pages around the end of the clients with a row: one that crosses it, and
    # those wholly past it (where the service counts the clients with a row first).
    for skip in range(max(0, len(esperado) - SIN_FILA - 4), len(esperado) + 1):
        ids = [c["id"] for c in _pagina(api, skip=skip, limit=3, **filtro)["clientes"]]
        assert ids == esperado[skip : skip + 3], skip
    # What a row shows is that client's own figure.
    primero = _pagina(api, limit=1, **filtro)["clientes"][0]
    assert primero[ordenar_por] == cartera[primero["id"]][ordenar_por]


INDICES = {
    "riesgo_perdida_score": "ix_salud_cliente_extended_riesgo_lista",
    "dias_sin_actividad": "ix_salud_cliente_extended_silencio_lista",
}


def test_a_page_sorted_by_a_health_figure_walks_its_index(
    db: Backend, cartera: dict[str, dict[str, Any]]
) -> None:
    """Two statements, the total (from the running counts) and the page, read from the
    health row's index in order: no sort of every client."""
    for ordenar_por, indice in INDICES.items():
        for descendente in (True, False):
            _total, pagina = _planes(db, ordenar_por=ordenar_por, descendente=descendente)
            assert indice in pagina, pagina
            if db.name == "sqlite":
                assert "TEMP B-TREE" not in pagina, pagina
            else:
                assert "Sort" not in pagina, pagina


# (filter, whether SQLite walks the figure's index for it)
SQLITE_RECORRE = [
    ({"estado": "cliente_activo"}, True),
    ({"estado": "cliente_activo", "q": "norte"}, True),
    ({"estado": "vip"}, False),
    ({"q": "norte 12"}, False),
]


def test_sqlite_walks_the_figure_s_index_for_a_common_filter_only(
    db: Backend, cartera: dict[str, dict[str, Any]]
) -> None:
    """Filtered by a common state (or state and term), SQLite would drive the page from
    the filter's index and sort every match; it walks the figure's index instead. A rare
    filter's or term's few clients are read by their index and sorted."""
    if db.name != "sqlite":
        pytest.skip("PostgreSQL's planner weighs both with its statistics")
    for filtro, recorre in SQLITE_RECORRE:
        *_cuentas, pagina = _planes(db, ordenar_por="riesgo_perdida_score", **filtro)
        assert ("ix_salud_cliente_extended_riesgo_lista" in pagina) is recorre, (filtro, pagina)
        assert ("TEMP B-TREE" not in pagina) is recorre, (filtro, pagina)
