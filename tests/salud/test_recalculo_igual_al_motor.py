"""The recompute's batch path (light loads, batch scoring) gives exactly what the one-client
path of reads and webhooks gives, on a generated portfolio of varied clients."""

from __future__ import annotations

import importlib.util
import itertools
from datetime import date
from decimal import Decimal
from pathlib import Path
from types import ModuleType

import httpx
from sqlalchemy import select

from smartbilling_crm.facturacion import libro
from smartbilling_crm.models import Cliente, Cobro, Factura
from smartbilling_crm.salud import lote as salud_lote
from smartbilling_crm.salud import recalculo
from smartbilling_crm.salud import service as salud_service
from smartbilling_crm.salud.motor.compras import compras_diarias
from smartbilling_crm.salud.motor.hechos import FacturaHecho
from smartbilling_crm.salud.motor.libro_lote import facturas_de_filas, facturas_hecho
from smartbilling_crm.salud.repository import ajuste as ajuste_repo
from smartbilling_crm.salud.repository import ledger
from smartbilling_crm.salud.repository import recalculo as lote_repo

from ..conftest import Backend
from ..salud_helpers import HOY, crear_cliente, historial_regular, importar
from ..webhook_helpers import factura

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
    with factory() as session:  # what the generator leaves empty, on two clients
        for cliente, margen, valido in zip(
            session.scalars(select(Cliente).order_by(Cliente.id).limit(2)),
            (Decimal("12.50"), Decimal("-3.25")),
            (False, None),
            strict=True,
        ):
            cliente.margen_promedio, cliente.cif_nif_valido = margen, valido
        session.commit()
    with factory() as session:
        cartera = recalculo.ajustar_cartera(session, HOY.astimezone(settings.tz).date())
        ids = lote_repo.ids_de_clientes(session, None, 1000)
        # The batch scores the rows the recompute reads (`clientes_leidos`); one by one,
        # the entities a write's refresh holds.
        filas = lote_repo.clientes_leidos(session, ids)
        clientes = lote_repo.clientes(session, ids)
        en_lote = salud_lote.evaluar_lote(session, filas, cartera, settings, HOY)
        de_uno_en_uno = [
            salud_service.evaluar(
                c, salud_service.cargar_hechos(session, [c.id], HOY)[c.id], cartera, settings, HOY
            )
            for c in clientes
        ]
    assert len(ids) == 120
    assert sum(1 for e in en_lote if e.hechos.contactos and e.hechos.abiertas) > 10
    for fila, cliente in zip(filas, clientes, strict=True):  # the same types and values
        for campo in lote_repo.ClienteLeido._fields:
            valor = getattr(cliente, campo)
            assert (type(getattr(fila, campo)), getattr(fila, campo)) == (type(valor), valor)
    assert {f.margen_promedio for f in filas} >= {Decimal("12.50"), Decimal("-3.25"), None}
    for lote, uno in zip(en_lote, de_uno_en_uno, strict=True):
        assert lote.estado == uno.estado
        assert lote.salud == uno.salud
        assert lote.recomendaciones == uno.recomendaciones


def _casos_raros(cliente_id: str) -> list[object]:
    """A ledger the generator never writes: several payments on one invoice, one of them
    returned and one an amountless settlement, no due date, whole amounts (SQLite keeps
    them as integers), credit applied, a cancelled credit note."""
    d = date(2026, 1, 5)

    def cobro(sufijo: str, dia: date, importe: Decimal | None, devuelto: bool = False) -> Cobro:
        return Cobro(
            cobro_id=f"{cliente_id}-1/{sufijo}",
            factura_id=f"{cliente_id}-1",
            cliente_id=cliente_id,
            fecha=dia,
            importe=importe,
            devuelto=devuelto,
        )

    return [
        Factura(
            factura_id=f"{cliente_id}-1",
            cliente_id=cliente_id,
            numero="R/1",
            fecha_emision=d,
            fecha_vencimiento=None,
            base_imponible=Decimal(100),
            total=Decimal(121),
            fecha_pago=date(2026, 2, 1),
            pendiente=Decimal(0),
            credito_aplicado=Decimal(0),
        ),
        cobro("a", date(2026, 1, 20), Decimal("20.10")),
        cobro("b", date(2026, 1, 25), Decimal(30), devuelto=True),
        cobro("c", date(2026, 1, 28), Decimal("50.90")),
        cobro("pagada", date(2026, 2, 1), None),
        Factura(
            factura_id=f"{cliente_id}-2",
            cliente_id=cliente_id,
            numero="R/2",
            fecha_emision=d,
            fecha_vencimiento=date(2026, 2, 4),
            base_imponible=Decimal("-41.32"),
            total=Decimal(-50),
            anulada=True,
        ),
        Factura(
            factura_id=f"{cliente_id}-3",
            cliente_id=cliente_id,
            numero="R/3",
            fecha_emision=date(2026, 3, 1),
            fecha_vencimiento=date(2026, 3, 31),
            base_imponible=Decimal("99.99"),
            total=Decimal("120.99"),
            pendiente=Decimal("110.49"),
            credito_aplicado=Decimal("10.50"),
        ),
        Factura(
            factura_id=f"{cliente_id}-4",
            cliente_id=cliente_id,
            numero="R/4",
            fecha_emision=date(2026, 4, 1),
            fecha_vencimiento=date(2026, 5, 1),
            base_imponible=Decimal("100.00"),
            total=Decimal("120.99"),
            fecha_pago=date(2026, 4, 20),
            pendiente=Decimal(0),
        ),
        # A settlement the ledger settled (the rest it paid kept apart), and a payment
        # without a day.
        *(
            Cobro(
                cobro_id=f"{cliente_id}-4/{sufijo}",
                factura_id=f"{cliente_id}-4",
                cliente_id=cliente_id,
                fecha=dia,
                importe=importe,
                importe_liquidado=liquidado,
            )
            for sufijo, dia, importe, liquidado in (
                ("a", date(2026, 4, 10), Decimal("60.49"), None),
                ("pagada", date(2026, 4, 20), None, Decimal("60.50")),
                ("sin-dia", None, Decimal("5.00"), None),
            )
        ),
    ]


def test_el_libro_en_enteros_es_el_de_las_entidades(db: Backend, api: httpx.Client) -> None:
    """The ledger read as integers (`ledger.libro_lote`: cents and day ordinals computed by
    the database) gives the engines the same invoices as the ORM's entities: the same
    types and values to the last digit (a Decimal's scale included), invoice by invoice
    and payment by payment; returned payments left out, a settlement without an amount
    paying the rest, a payment without a day left out."""
    _generador().generar(db.url, 30, seed=15, hoy=HOY.date())
    crear_cliente(api, "Raro-1", "Casos Raros S.L.")
    factory = db.app.state.session_factory
    with factory() as session:
        filas = _casos_raros("Raro-1")
        session.add_all([f for f in filas if isinstance(f, Factura)])
        session.flush()  # the payments' invoices first (no relationship orders them)
        session.add_all([c for c in filas if isinstance(c, Cobro)])
        session.commit()
    with factory() as session:
        ids = lote_repo.ids_de_clientes(session, None, 1000)
        leido = dict(zip(ids, facturas_hecho(ledger.libro_lote(session, ids)), strict=True))
        # A write's refresh reads the same rows without arrays.
        sin_arrays = facturas_de_filas(ledger.filas(session, ids), ids)
        esperado: dict[str, list[FacturaHecho]] = {i: [] for i in ids}
        for f in session.scalars(
            select(Factura)
            .where(Factura.cliente_id.in_(ids))
            .order_by(Factura.fecha_emision, Factura.factura_id)
        ):
            vivos = list(
                session.scalars(
                    select(Cobro)
                    .where(Cobro.factura_id == f.factura_id, Cobro.devuelto.is_(False))
                    .order_by(Cobro.fecha, Cobro.cobro_id)
                )
            )
            importes = [c.importe if c.importe is not None else c.importe_liquidado for c in vivos]
            resto = libro.resto(f.total, sum((i for i in importes if i is not None), Decimal(0)))
            cobros = tuple(
                (c.fecha, resto if i is None else i)
                for c, i in zip(vivos, importes, strict=True)
                if c.fecha is not None
            )
            esperado[f.cliente_id].append(
                FacturaHecho(
                    f.factura_id,
                    f.numero,
                    f.fecha_emision,
                    f.fecha_vencimiento,
                    f.base_imponible,
                    f.total,
                    f.fecha_pago,
                    f.anulada,
                    f.pendiente,
                    f.credito_aplicado,
                    cobros,
                )
            )

    def exacto(libros: dict[str, list[FacturaHecho]]) -> list[tuple[str, str, str]]:
        return [
            (cliente_id, type(v).__name__, str(v))
            for cliente_id, facturas in sorted(libros.items())
            for factura in facturas
            for v in (*factura[:-1], *(x for cobro in factura.cobros or () for x in cobro))
        ]

    assert sum(len(facturas) for facturas in esperado.values()) > 200
    assert exacto(leido) == exacto(esperado)
    assert exacto(dict(zip(ids, sin_arrays, strict=True))) == exacto(esperado)
    raro = leido["Raro-1"]
    # The returned payment and the one without a day are left out.
    assert [len(f.cobros or ()) for f in raro] == [3, 0, 0, 2]
    assert raro[3].cobros == (
        (date(2026, 4, 10), Decimal("60.49")),
        (date(2026, 4, 20), Decimal("60.50")),  # what the ledger settled it for
    )
    assert raro[0].cobros == (
        (date(2026, 1, 20), Decimal("20.10")),
        (date(2026, 1, 28), Decimal("50.90")),
        (date(2026, 2, 1), Decimal("50.00")),  # the settlement: 121 less 71
    )
    assert [str(raro[0].base_imponible), str(raro[0].total)] == ["100.00", "121.00"]
    assert raro[0].fecha_vencimiento is None and raro[1].anulada is True
    assert str(raro[2].pendiente) == "110.49" and str(raro[2].credito_aplicado) == "10.50"


def test_el_ajuste_leido_por_los_trabajadores_es_el_de_una_lectura(db: Backend) -> None:
    """With worker processes, the fit reads the purchase days by ranges of clients, one
    range each, a worker reads the paid-late counts and fits the prior, another fits
    BG/NBD while this process fits Gamma-Gamma: the same portfolio figures, to the last
    bit, as reading and fitting everything here."""
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


def test_los_cortes_siguen_el_orden_de_la_base_con_ids_de_cualquier_forma(
    db: Backend, api: httpx.Client
) -> None:
    """Ids in upper and lower case, with hyphens and underscores (the API accepts them),
    sort differently in Python and under a linguistic collation: the cuts come from the
    database in its own order, so the ranges never overlap nor leave a client out."""
    ids = ["a0001", "B0002", "cli10", "cli-2", "cli_3", "Z9", "m-m", "M_m", "00x", "zz"]
    for cliente_id in ids:
        crear_cliente(api, cliente_id, f"Empresa {cliente_id} S.L.")
        importar(api, historial_regular(cliente_id))
    factory = db.app.state.session_factory
    with factory() as session:
        en_orden = lote_repo.ids_de_clientes(session, None, 1000)
        entero = ajuste_repo.dias_de_compra(session)
        for partes in range(2, 7):
            cortes = lote_repo.cortes_de_clientes(session, partes)
            assert cortes == [i for i in en_orden if i in cortes]  # the database's order
            rangos = itertools.pairwise([None, *cortes, None])
            leidas = [ajuste_repo.dias_de_compra(session, *rango) for rango in rangos]
            assert ajuste_repo.unir_partes(leidas) == entero, partes
    assert sorted(en_orden) == sorted(ids)
    assert len(set(entero[0])) == len(ids)


def test_los_dias_de_compra_leidos_son_los_del_motor(db: Backend, api: httpx.Client) -> None:
    """The fit's read (ordinals and cents from the database) gives, per client, exactly the
    purchase days and day totals `compras_diarias` makes of its invoices: cents that a
    binary sum gets wrong in the last bit (0.10 + 0.20, 0.07 × 3), cancelled invoices,
    credit notes and zero bases left out, clients read across the stream's partitions."""
    crear_cliente(api, "sumas", "Sumas Binarias S.L.")
    dia = "2025-11-03"
    sumas = [("a", dia, "0.10"), ("b", dia, "0.20"), ("c", "2025-11-04", "0.07")]
    sumas += [("d", "2025-11-04", "0.07"), ("e", "2025-11-04", "0.07"), ("f", dia, "0.00")]
    importar(
        api,
        [
            factura(f"fac_s_{n}", cliente_id="sumas", fecha_emision=d, base=b, total=b)
            for n, d, b in sumas
        ]
        + [
            factura(
                "fac_s_g",
                cliente_id="sumas",
                fecha_emision="2025-11-05",
                base="9.99",
                total="12.09",
                anulada=True,
            ),
            factura(
                "fac_s_h",
                cliente_id="sumas",
                fecha_emision="2025-11-06",
                base="-50.00",
                total="-60.50",
            ),
        ],
    )
    _generador().generar(db.url, 40, seed=19, hoy=HOY.date())
    factory = db.app.state.session_factory
    with factory() as session:
        ids = lote_repo.ids_de_clientes(session, None, 1000)
        facturas = session.scalars(select(Factura)).all()
        por_cliente: dict[str, list[Factura]] = {}
        for f in facturas:
            por_cliente.setdefault(f.cliente_id, []).append(f)
        compradores = [c for c in ids if compras_diarias(por_cliente.get(c, []))]
        esperado: list[tuple[int, int, float]] = []
        for numero, cliente_id in enumerate(compradores):
            esperado += [
                (numero, compra.fecha.toordinal(), float(compra.importe))
                for compra in compras_diarias(por_cliente[cliente_id])
            ]
        ajuste_repo._POR_PARTICION, antes = 7, ajuste_repo._POR_PARTICION
        try:
            clientes, dias, importes = ajuste_repo.dias_de_compra(session)
        finally:
            ajuste_repo._POR_PARTICION = antes
    assert list(zip(clientes, dias, importes, strict=True)) == esperado
    sumas_dias = [(d, i) for c, d, i in esperado if c == compradores.index("sumas")]
    assert sumas_dias == [
        (date(2025, 11, 3).toordinal(), 0.3),
        (date(2025, 11, 4).toordinal(), 0.21),
    ]
