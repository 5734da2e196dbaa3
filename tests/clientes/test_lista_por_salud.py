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
SIN_FILA = 7  # clients whose health row is not stored yet
NUNCA = 2**31  # sorts after every real silence, as the service's own constant


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
        clientes.append(
            {
                "id": cliente_id,
                "nombre_empresa": f"Cliente {n}",
                "email": f"info{n}@cliente{n}.es",
                "busqueda": f"cliente {n}",
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
        figuras[cliente_id] = {"estado": estado, **fila}
    sin_fila = ["c00007", *rng.sample(sorted(figuras)[8:], SIN_FILA - 1)]
    with db.engine.begin() as conn:
        conn.execute(insert(Cliente), clientes)
        conn.execute(insert(SaludCliente), salud)
        conn.execute(delete(SaludCliente).where(SaludCliente.cliente_id.in_(sin_fila)))
    for cliente_id in sin_fila:
        figuras[cliente_id] = {"estado": figuras[cliente_id]["estado"]}
    if db.name == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE clientes_extended, salud_cliente_extended")
    yield figuras


def _esperado(
    figuras: dict[str, dict[str, Any]], ordenar_por: str, orden: str, estado: str | None
) -> list[str]:
    """The order the owner expects: by the figure, ties by id, in the asked direction; a
    client never contacted as the longest silence; clients without a row last, by id."""
    desc = orden == "desc"
    elegidos = {i: f for i, f in figuras.items() if estado in (None, f["estado"])}
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


# Half the clients match "cliente_activo": the page walks the figure's index testing each
# one. 1 % are VIP: their few matches are read and sorted.
@pytest.mark.parametrize("estado", [None, "cliente_activo", "vip"])
@pytest.mark.parametrize("orden", ["desc", "asc"])
@pytest.mark.parametrize("ordenar_por", ["riesgo_perdida_score", "dias_sin_actividad"])
def test_every_page_in_order_and_clients_without_a_health_row_last(
    api: httpx.Client,
    cartera: dict[str, dict[str, Any]],
    ordenar_por: str,
    orden: str,
    estado: str | None,
) -> None:
    esperado = _esperado(cartera, ordenar_por, orden, estado)
    filtro = {"ordenar_por": ordenar_por, "orden": orden} | ({"estado": estado} if estado else {})
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


@pytest.mark.parametrize("orden", ["desc", "asc"])
@pytest.mark.parametrize(
    ("ordenar_por", "indice"),
    [
        ("riesgo_perdida_score", "ix_salud_cliente_extended_riesgo_lista"),
        ("dias_sin_actividad", "ix_salud_cliente_extended_silencio_lista"),
    ],
)
def test_a_page_sorted_by_a_health_figure_walks_its_index(
    db: Backend, cartera: dict[str, dict[str, Any]], ordenar_por: str, indice: str, orden: str
) -> None:
    """Two statements, the total (from the running counts) and the page, read from the
    health row's index in order: no sort of every client."""
    _total, pagina = _planes(db, ordenar_por=ordenar_por, descendente=orden == "desc")
    assert indice in pagina, pagina
    if db.name == "sqlite":
        assert "TEMP B-TREE" not in pagina, pagina
    else:
        assert "Sort" not in pagina, pagina


@pytest.mark.parametrize(
    ("estado", "recorre"), [("cliente_activo", True), ("vip", False)], ids=["comun", "raro"]
)
def test_sqlite_walks_the_figure_s_index_for_a_common_filter_only(
    db: Backend, cartera: dict[str, dict[str, Any]], estado: str, recorre: bool
) -> None:
    """Filtered by a common state, SQLite would drive the page from (estado, ltv) and sort
    half the portfolio; it walks the figure's index instead. A rare state's few clients
    are read by their index and sorted."""
    if db.name != "sqlite":
        pytest.skip("PostgreSQL's planner weighs both with its statistics")
    *_cuentas, pagina = _planes(db, ordenar_por="riesgo_perdida_score", estado=estado)
    assert ("ix_salud_cliente_extended_riesgo_lista" in pagina) is recorre, pagina
    assert ("TEMP B-TREE" not in pagina) is recorre, pagina
