"""The recompute's batch path (light loads, batch scoring) gives exactly what the one-client
path of reads and webhooks gives, on a generated portfolio of varied clients."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

from sqlalchemy import select

from smartbilling_crm.models import Cobro, Factura
from smartbilling_crm.salud import lote as salud_lote
from smartbilling_crm.salud import recalculo
from smartbilling_crm.salud import service as salud_service
from smartbilling_crm.salud.repository import ajuste as ajuste_repo
from smartbilling_crm.salud.repository import ledger
from smartbilling_crm.salud.repository import recalculo as lote_repo

from ..conftest import Backend
from ..salud_helpers import HOY

BENCH = Path(__file__).resolve().parents[2] / "bench" / "generate.py"


def _generador() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_generate", BENCH)
    assert spec is not None and spec.loader is not None
    modulo = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(modulo)
    return modulo


def test_el_lote_evalua_igual_que_el_motor_de_un_cliente(db: Backend) -> None:
    _generador().generar(db.url, 120, seed=14, hoy=HOY.date())
    settings = db.app.state.settings
    factory = db.app.state.session_factory
    with factory() as session:
        cartera = recalculo.ajustar_cartera(session, HOY.astimezone(settings.tz).date())
        ids = lote_repo.ids_de_clientes(session, None, 1000)
        clientes = lote_repo.clientes(session, ids)
        en_lote = salud_lote.evaluar_lote(session, clientes, cartera, settings, HOY)
        de_uno_en_uno = [
            salud_service.evaluar(
                c, salud_service.cargar_hechos(session, [c.id], HOY)[c.id], cartera, settings, HOY
            )
            for c in clientes
        ]
    assert len(ids) == 120
    assert sum(1 for e in en_lote if e.hechos.contactos and e.hechos.abiertas) > 10
    for lote, uno in zip(en_lote, de_uno_en_uno, strict=True):
        assert lote.estado == uno.estado
        assert lote.salud == uno.salud
        assert lote.recomendaciones == uno.recomendaciones


def test_el_libro_leido_sin_filas_de_sqlalchemy_es_el_de_las_entidades(db: Backend) -> None:
    """`ledger.facturas` converts the driver's values itself: the same dates, Decimal
    amounts and booleans, invoice by invoice and payment by payment, as the ORM's entities."""
    _generador().generar(db.url, 40, seed=15, hoy=HOY.date())
    factory = db.app.state.session_factory
    with factory() as session:
        ids = lote_repo.ids_de_clientes(session, None, 1000)
        leido = ledger.facturas(session, ids)
        esperado: dict[str, list[tuple[tuple[object, ...], list[tuple[object, object]]]]] = {}
        for f in session.scalars(
            select(Factura)
            .where(Factura.cliente_id.in_(ids))
            .order_by(Factura.fecha_emision, Factura.factura_id)
        ):
            cobros = [
                (c.fecha, c.importe)
                for c in session.scalars(
                    select(Cobro)
                    .where(Cobro.factura_id == f.factura_id, Cobro.devuelto.is_(False))
                    .order_by(Cobro.fecha, Cobro.cobro_id)
                )
            ]
            columnas = tuple(getattr(f, c.key) for c in ledger.COLUMNAS_FACTURA)
            esperado.setdefault(f.cliente_id, []).append((columnas, cobros))
    assert sum(len(libro) for libro in esperado.values()) > 300
    assert leido == esperado
    valores = [v for libro in leido.values() for factura, _ in libro for v in factura]
    assert {type(v).__name__ for v in valores if v is not None} == {
        "str",
        "date",
        "Decimal",
        "bool",
    }


def test_el_ajuste_leido_por_los_trabajadores_es_el_de_una_lectura(db: Backend) -> None:
    """With worker processes, the fit reads the purchase days by ranges of clients, one
    range each, while this process reads the paid-late counts: the same portfolio figures,
    to the last bit, as reading everything here."""
    _generador().generar(db.url, 120, seed=16, hoy=HOY.date())
    settings = db.app.state.settings
    factory = db.app.state.session_factory
    hoy = HOY.astimezone(settings.tz).date()
    with factory() as session:
        aqui = recalculo.ajustar_cartera(session, hoy)
        cortes = lote_repo.cortes_de_clientes(session, 3)
        with salud_lote.trabajadores(factory, settings, 2) as pool:
            assert pool is not None
            repartido = recalculo.ajustar_cartera(session, hoy, pool)
    assert len(cortes) == 2  # two workers and this process: three ranges of 40 clients
    assert repartido == aqui
    assert aqui.modelo.bgnbd.origen == "ajuste"
    assert aqui.modelo.bgnbd.clientes > 100


def test_las_partes_del_ajuste_se_unen_en_el_orden_de_los_clientes(db: Backend) -> None:
    _generador().generar(db.url, 30, seed=17, hoy=HOY.date())
    factory = db.app.state.session_factory
    with factory() as session:
        entero = ajuste_repo.dias_de_compra(session)
        ids = lote_repo.ids_de_clientes(session, None, 1000)
        assert lote_repo.cortes_de_clientes(session, 1) == []
        assert lote_repo.cortes_de_clientes(session, 2) == [ids[15]]
        partes = [
            ajuste_repo.dias_de_compra(session, None, ids[10]),
            ajuste_repo.dias_de_compra(session, ids[10], ids[10]),  # an empty range
            ajuste_repo.dias_de_compra(session, ids[10], ids[25]),
            ajuste_repo.dias_de_compra(session, ids[25], None),
        ]
    assert [len(p[0]) for p in partes][1] == 0
    assert ajuste_repo.unir_partes(partes) == entero
    assert len(set(entero[0])) == 30
