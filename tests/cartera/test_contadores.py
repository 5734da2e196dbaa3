"""The dashboard and the alert totals come from running totals kept by database triggers;
after every kind of write they equal the aggregates over every row they replace
(`cartera.service.dashboard_completo`), on both databases and on any "today"."""

from __future__ import annotations

import importlib.util
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.orm import Session

from smartbilling_crm.cartera import service as cartera_service
from smartbilling_crm.cartera.schemas import Dashboard
from smartbilling_crm.dominio import Severidad
from smartbilling_crm.kit.contexto import Contexto

from ..clientes.test_csv import _cli
from ..conftest import Backend, make_settings
from ..salud_helpers import HOY, crear_cliente, historial_regular, importar, recalcular
from ..webhook_helpers import evento, factura, send
from .test_cartera_api import crear_oportunidad

TIPOS_ALERTA = ("factura_vencida", "tarea_vencida", "riesgo_pago", "cif_nif_invalido")


def _ok(response: httpx.Response) -> Any:
    assert response.status_code in (200, 201, 204), response.text
    return response.json() if response.content else None


def _enviar(api: httpx.Client, payload: dict[str, Any]) -> None:
    _ok(send(api, payload, now=HOY))


VISTOS: list[Dashboard] = []


def _cuadra(db: Backend, api: httpx.Client, paso: str) -> None:
    """The dashboard served equals the full aggregates, today and on other days (the
    receivables bands and the expected invoices move with "today"), and so do the alert
    totals for every filter."""
    settings = make_settings(db.url)
    with Session(db.engine) as session:
        for dias in (0, 1, 12, 25, 31, 45, 61, 95, 200, -40):
            ctx = Contexto(session=session, settings=settings, now=HOY + timedelta(days=dias))
            tablero = cartera_service.dashboard(ctx)
            assert tablero == cartera_service.dashboard_completo(ctx), (paso, dias)
            VISTOS.append(tablero)
        ctx = Contexto(session=session, settings=settings, now=HOY)
        esperado = cartera_service.dashboard_completo(ctx).model_dump(mode="json")
        for severidad in (None, *Severidad):
            for tipo in (None, *TIPOS_ALERTA):
                params = {
                    k: v for k, v in (("severidad", severidad), ("tipo", tipo)) if v is not None
                }
                total = cartera_service.contar_alertas_completo(
                    session, severidad=severidad, tipo=tipo
                )
                assert _ok(api.get("/api/alertas", params=params))["total"] == total, (
                    paso,
                    params,
                )
    assert _ok(api.get("/api/dashboard")) == esperado, paso
    negativos = (
        "SELECT count(*) FROM contadores_cartera WHERE numero < 0",
        "SELECT count(*) FROM cartera_por_fecha WHERE numero < 0",
    )
    # The all-dates receivables total the ageing read starts from equals its dated rows.
    total = "SELECT COALESCE(sum(numero), 0), COALESCE(sum(importe), 0) FROM {} WHERE {} = 'deuda'"
    with db.engine.connect() as conn:
        assert [conn.execute(text(sql)).scalar() for sql in negativos] == [0, 0], paso
        assert (
            conn.execute(text(total.format("contadores_cartera", "grupo"))).one()
            == conn.execute(text(total.format("cartera_por_fecha", "serie"))).one()
        ), paso


def test_los_contadores_cuadran_tras_cada_escritura(
    db: Backend, api: httpx.Client, tmp_path: Path
) -> None:
    db.clock.set(HOY)
    VISTOS.clear()
    _cuadra(db, api, "vacía")

    # Clients with history, a prospect, one with a bad tax id (an alert), opportunities.
    for n in range(1, 5):
        crear_cliente(api, f"c{n}", f"Cliente {n} S.L.")
        importar(api, historial_regular(f"c{n}"))
    crear_cliente(api, "p1", "Prospecto S.L.", cif_nif="A12345678")
    _cuadra(db, api, "altas e importación")

    opo = crear_oportunidad(
        api,
        "c1",
        nombre_proyecto="Web",
        monto_estimado="1234.55",
        fecha_cierre_estimada="2026-02-01T10:00:00",
    )
    crear_oportunidad(api, "p1", nombre_proyecto="ERP", monto_estimado="999.99")
    perdida = crear_oportunidad(api, "c2", nombre_proyecto="App", monto_estimado="10.01")
    _cuadra(db, api, "oportunidades")
    base = f"/api/clientes/c1/oportunidades/{opo['id']}"
    _ok(api.patch(base, json={"estado": "negociación", "probabilidad_cierre": 33}))
    _ok(api.patch(base, json={"monto_estimado": "2000.05"}))
    _cuadra(db, api, "cambio de etapa")
    _ok(api.put(f"/api/clientes/oportunidades/{opo['id']}/ganada", params={"valor_final": 1500}))
    _ok(api.put(f"/api/clientes/oportunidades/{perdida['id']}/perdida"))
    _cuadra(db, api, "ganada y perdida")

    # Edits and activities (an overdue task raises an alert).
    _ok(api.patch("/api/clientes/c2", json={"nombre_empresa": "Otro nombre S.L."}))
    _ok(api.patch("/api/clientes/c3", json={"estado": "cliente_perdido"}))
    _ok(
        api.post(
            "/api/clientes/c4/actividades",
            json={"tipo": "tarea", "titulo": "Llamar", "fecha": "2026-01-10T10:00:00"},
        )
    )
    _ok(
        api.post(
            "/api/clientes/c1/actividades",
            json={"tipo": "llamada", "titulo": "Hablamos", "fecha": "2026-01-19T10:00:00"},
        )
    )
    _cuadra(db, api, "ediciones y actividades")

    # Invoice events: issued, partial payment, returned, paid, cancelled, credit note.
    fac = {
        "factura_id": "f_9",
        "cliente_id": "c2",
        "numero": "2026/0009",
        "fecha_emision": "2025-11-15",
        "fecha_vencimiento": "2025-12-15",
        "base": "500.00",
        "total": "605.00",
    }
    _enviar(api, evento("emitida", **fac))
    _enviar(api, evento("emitida", **{**fac, "factura_id": "f_10", "numero": "2026/0010"}))
    _enviar(api, evento("emitida", **{**fac, "factura_id": "f_11", "fecha_vencimiento": None}))
    _cuadra(db, api, "emitidas")
    cobro = {"id": "cob_1", "fecha": "2026-01-15", "importe": "200.33"}
    _enviar(api, {**evento("cobro", **fac), "cobro": cobro})
    _cuadra(db, api, "cobro parcial")
    _enviar(api, {**evento("cobro_devuelto", **fac), "cobro": {"id": "cob_1"}})
    _cuadra(db, api, "cobro devuelto")
    _enviar(api, evento("pagada", **fac, fecha_pago="2026-01-18"))
    _enviar(api, evento("anulada", **{**fac, "factura_id": "f_10", "numero": "2026/0010"}))
    _cuadra(db, api, "pagada y anulada")
    abono = {
        "factura_id": "r_1",
        "cliente_id": "c1",
        "numero": "R2026/0001",
        "fecha_emision": "2026-01-12",
        "base": "-1000.00",
        "total": "-1210.00",
        "rectifica": "c1_0123",
    }
    _enviar(api, evento("emitida", **abono))
    _cuadra(db, api, "rectificativa")

    # The daily recompute, on later days (bands, dormancy and expected dates move).
    for dias in (0, 35, 120):
        db.clock.set(HOY + timedelta(days=dias))
        recalcular(api)
        db.clock.set(HOY)
        _cuadra(db, api, f"recalcular +{dias}")

    # CSV import of new and existing clients, then GDPR erasure of clients with everything.
    fichero = tmp_path / "clientes.csv"
    fichero.write_text(
        "id;nombre_empresa;email;estado\nn1;Nuevo S.L.;n1@x.es;\nc4;Cuarto S.L.;c4@ejemplo.es;\n",
        encoding="utf-8",
    )
    result = _cli(db, "importar-clientes", str(fichero))
    assert result.exit_code == 0, result.output
    _cuadra(db, api, "importación csv")
    _ok(api.delete("/api/clientes/c1"))
    _ok(api.delete("/api/clientes/p1"))
    _cuadra(db, api, "borrado rgpd")
    importar(api, [factura("f_n1", cliente_id="n1", fecha_emision="2026-01-02", base=10, total=12)])
    _cuadra(db, api, "importación de facturas")
    # The scenario did reach every figure: each band of the receivables, expected invoices,
    # alerts of each severity, won and open pipeline, clients in several states.
    for tramo in ("no_vencido", "d1_30", "d31_60", "d61_90", "mas_90"):
        assert any(getattr(t.antiguedad_deuda, tramo).facturas for t in VISTOS), tramo
    assert any(t.facturas_esperadas_7_dias for t in VISTOS)
    for severidad in ("critica", "alta", "media", "baja"):
        assert any(getattr(t.alertas_por_severidad, severidad) for t in VISTOS), severidad
    assert any(t.pipeline.importe_ponderado for t in VISTOS)
    assert any(t.ingresos_esperados_90_dias for t in VISTOS)
    assert len({t.clientes_por_estado.model_dump_json() for t in VISTOS}) > 3


def test_la_deuda_de_cualquier_antiguedad_cuadra(db: Backend, api: httpx.Client) -> None:
    """Open invoices due on 160 dates over three years, far more than the 91 recent days
    the ageing read bands date by date: the oldest band (the all-dates total minus the
    recent bands) equals the aggregate on any day, also after old invoices are paid in part,
    paid, cancelled or deleted with their client."""
    db.clock.set(HOY)
    for c in ("c1", "c2"):
        crear_cliente(api, c, f"Cliente {c} S.L.")
    facturas = {
        n: {
            "factura_id": f"f_{n}",
            "cliente_id": f"c{1 + n % 2}",
            "numero": f"2026/{n:04d}",
            "fecha_emision": (HOY.date() - timedelta(days=7 * n)).isoformat(),
            "base": f"{100 + n}.00",
            "total": f"{121 + n}.{n % 100:02d}",
        }
        for n in range(160)
    }
    importar(api, [factura(**f) for f in facturas.values()])
    importar(api, [factura("f_sin", cliente_id="c1", fecha_vencimiento=None, total="50.05")])
    _cuadra(db, api, "historia larga")
    with db.engine.connect() as conn:
        fechas = conn.execute(
            text("SELECT count(*) FROM cartera_por_fecha WHERE serie = 'deuda'")
        ).scalar()
    assert fechas is not None and fechas > 150
    cobro = {"id": "cob_v", "fecha": HOY.date().isoformat(), "importe": "33.33"}
    _enviar(api, {**evento("cobro", **facturas[150]), "cobro": cobro})
    _enviar(api, evento("pagada", **facturas[140], fecha_pago=HOY.date().isoformat()))
    _enviar(api, evento("anulada", **facturas[120]))
    _cuadra(db, api, "cobros de facturas antiguas")
    _ok(api.delete("/api/clientes/c2"))
    _cuadra(db, api, "borrado con facturas antiguas")


def _migracion(nombre: str) -> Any:
    ruta = Path(__file__).parents[2] / f"migrations/versions/{nombre}.py"
    spec = importlib.util.spec_from_file_location(nombre.replace("-", "_"), ruta)
    assert spec is not None and spec.loader is not None
    migracion = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migracion)
    return migracion


def cartera_pequena(api: httpx.Client, prefijo: str) -> None:
    """Three clients with a regular history (an invoice overdue), an opportunity, recomputed."""
    for n in range(1, 4):
        crear_cliente(api, f"{prefijo}{n}", f"Cliente {prefijo}{n} S.L.")
        importar(api, historial_regular(f"{prefijo}{n}"))
    crear_oportunidad(api, f"{prefijo}1", nombre_proyecto="Web", monto_estimado="1234.55")
    recalcular(api)


def test_la_migracion_rellena_los_contadores_de_lo_que_ya_habia(
    db: Backend, api: httpx.Client
) -> None:
    """Rebuilding the totals as the migration does gives what the triggers kept."""
    db.clock.set(HOY)
    cartera_pequena(api, "c")
    rellenos = [
        *_migracion("2026-12-02-0620_portfolio_counters").BACKFILL,
        _migracion("2026-12-02-0930_receivables_running_total").BACKFILL,
    ]
    tablas = ("contadores_cartera", "cartera_por_fecha")
    with db.engine.begin() as conn:
        antes = {t: sorted(conn.execute(text(f"SELECT * FROM {t}")).all()) for t in tablas}
        for t in tablas:
            conn.execute(text(f"DELETE FROM {t}"))
        for sql in rellenos:
            conn.exec_driver_sql(sql)
        despues = {t: sorted(conn.execute(text(f"SELECT * FROM {t}")).all()) for t in tablas}
    # The triggers keep zero rows the backfill has no reason to write.
    antes = {t: [f for f in filas if f[2] != 0] for t, filas in antes.items()}
    assert antes == despues
