"""The receivables ledger of contract §7 through the API, on both databases, at fixed dates:
credit notes that settle, partial and returned payments, versions, payment dates."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from ..conftest import Backend
from ..salud_helpers import HOY, crear_cliente, importar, recalcular, recomendaciones, salud
from ..webhook_helpers import evento, factura, send

# HOY is 20/01/2026. An invoice of 605 € (500 + 21 % VAT) issued 01/11/2025, due 01/12/2025:
# 50 days overdue today.
VENCIDA = {
    "factura_id": "f_605",
    "cliente_id": "c1",
    "numero": "2025/0605",
    "fecha_emision": "2025-11-01",
    "fecha_vencimiento": "2025-12-01",
    "base": "500.00",
    "total": "605.00",
}


# A credit note of 968 € (800 + 21 % VAT) issued 10/01/2026 that corrects f_605.
ABONO = evento(
    "emitida",
    factura_id="r_968",
    cliente_id="c1",
    numero="R2026/0001",
    fecha_emision="2026-01-10",
    base="-800.00",
    total="-968.00",
    rectifica="f_605",
)


def _exportadas(api: httpx.Client, cliente_id: str) -> dict[str, dict[str, Any]]:
    response = api.get(f"/api/clientes/{cliente_id}/exportar")
    assert response.status_code == 200, response.text
    return {f["id"]: f for f in response.json()["facturas"]}


def _enviar(api: httpx.Client, payload: dict[str, Any], **kwargs: Any) -> httpx.Response:
    response = send(api, payload, now=HOY, **kwargs)
    assert response.status_code == 200, response.text
    return response


def _cobro(tipo: str, cobro: dict[str, Any], **factura_: Any) -> dict[str, Any]:
    return {**evento(tipo, **{**VENCIDA, **factura_}), "cobro": cobro}


def test_una_rectificativa_salda_la_factura_que_corrige(db: Backend, api: httpx.Client) -> None:
    """The issue's case: a client owed 363 € was chased for a 605 € overdue invoice."""
    db.clock.set(HOY)
    crear_cliente(api, "c1", "Abonos S.L.")
    _enviar(api, evento("emitida", **VENCIDA))
    assert salud(api, "c1")["importe_vencido"] == 605.0

    _enviar(api, ABONO)

    body = salud(api, "c1")
    assert body["importe_vencido"] == 0.0
    assert body["facturas_vencidas"] == 0
    assert body["importe_pendiente"] == 0.0
    assert body["saldo_a_favor"] == 363.0  # 968 − 605
    assert body["riesgo_impago"] == "bajo"
    # Nothing overdue, and the settled invoice was paid by no payment: no evidence either way
    # (it said "no invoice has fallen due yet", though this one fell due 50 days before).
    assert [m for m in body["motivos"] if "pagos" in m or "vencid" in m] == [
        "Sin historial de pagos: no ha pagado ninguna factura con cobros y no tiene ninguna vencida"
    ]
    assert body["probabilidad_pago_tardio"] is None
    tipos = [a["tipo"] for a in recomendaciones(api, "c1")["alertas"]]
    assert "factura_vencida" not in tipos and "riesgo_pago" not in tipos
    libro = _exportadas(api, "c1")
    assert libro["f_605"]["pendiente"] == 0.0
    assert libro["f_605"]["credito_aplicado"] == 605.0
    assert libro["f_605"]["fecha_pago"] is None  # settled by credit, not paid
    assert libro["r_968"]["rectifica"] == "f_605"
    # The timeline names the corrected invoice by its number, as every other entry does.
    actividades = api.get("/api/clientes/c1/actividades").json()
    entrada = next(a for a in actividades if a["titulo"].startswith("Factura rectificativa"))
    assert "Rectifica la factura 2025/0605." in entrada["descripcion"]
    assert libro["r_968"]["pendiente"] == 0.0  # a credit note is never owed
    # The corrected invoice's timeline entry says how it was settled.
    entradas = api.get("/api/clientes/c1/actividades", params={"tipo": "factura"}).json()
    corregida = next(e for e in entradas if e["titulo"] == "Factura 2025/0605 emitida")
    assert corregida["descripcion"].endswith("Saldada con abonos.")


def test_una_rectificativa_que_llega_antes_nombra_su_factura_cuando_llega(
    db: Backend, api: httpx.Client
) -> None:
    """The credit note first: its entry can only name the invoice by its id. When the
    invoice arrives it names it by its number, as when they come in order (it kept
    "Rectifica la factura f_605." for good)."""
    db.clock.set(HOY)
    crear_cliente(api, "c1", "Abonos S.L.")
    _enviar(api, ABONO)

    def descripcion() -> str:
        entradas = api.get("/api/clientes/c1/actividades", params={"tipo": "factura"}).json()
        (entrada,) = [e for e in entradas if e["titulo"].startswith("Factura rectificativa")]
        return str(entrada["descripcion"])

    assert "Rectifica la factura f_605." in descripcion()
    _enviar(api, evento("emitida", **VENCIDA))
    assert "Rectifica la factura 2025/0605." in descripcion()
    _enviar(api, evento("emitida", **{**VENCIDA, "numero": "2025/0605-B"}))  # renumbered
    assert "Rectifica la factura 2025/0605-B." in descripcion()


def test_un_abono_sin_factura_salda_las_mas_antiguas(db: Backend, api: httpx.Client) -> None:
    db.clock.set(HOY)
    crear_cliente(api, "c1", "Abonos S.L.")
    importar(
        api,
        [
            factura("f_a", cliente_id="c1", fecha_emision="2025-10-01", base=100, total=121),
            factura("f_b", cliente_id="c1", fecha_emision="2025-11-01", base=100, total=121),
            factura("f_c", cliente_id="c1", fecha_emision="2025-12-01", base=100, total=121),
            # 150 € of credit naming no invoice: settles f_a (121), then 29 of f_b.
            factura("r_1", cliente_id="c1", fecha_emision="2026-01-05", base="-123.97",
                    total="-150.00"),
        ],
    )  # fmt: skip
    libro = _exportadas(api, "c1")
    assert [libro[i]["pendiente"] for i in ("f_a", "f_b", "f_c")] == [0.0, 92.0, 121.0]
    body = salud(api, "c1")
    assert body["importe_pendiente"] == 213.0
    assert body["saldo_a_favor"] == 0.0


def test_cobros_parciales_idempotentes_y_devueltos(db: Backend, api: httpx.Client) -> None:
    db.clock.set(HOY)
    crear_cliente(api, "c1", "Cobros S.L.")
    _enviar(api, evento("emitida", **VENCIDA))

    parcial = _cobro("cobro", {"id": "cob_1", "fecha": "2026-01-15", "importe": 200})
    _enviar(api, parcial)
    # The same payment sent again under another webhook id: still one payment.
    _enviar(api, parcial)
    body = salud(api, "c1")
    assert body["importe_vencido"] == 405.0
    assert body["facturas_vencidas"] == 1
    alerta = next(
        a for a in recomendaciones(api, "c1")["alertas"] if a["tipo"] == "factura_vencida"
    )
    assert alerta["mensaje"].startswith("Factura 2025/0605: quedan 405,00 € de 605,00 € sin pagar")

    resto = _cobro("cobro", {"id": "cob_2", "fecha": "2026-01-19", "importe": 405})
    _enviar(api, resto)
    libro = _exportadas(api, "c1")["f_605"]
    assert libro["pendiente"] == 0.0
    assert libro["fecha_pago"] == "2026-01-19"  # the payment that completed it
    assert salud(api, "c1")["importe_vencido"] == 0.0

    # The second payment was a direct debit that came back: the invoice reopens.
    _enviar(api, _cobro("cobro_devuelto", {"id": "cob_2"}))
    libro = _exportadas(api, "c1")["f_605"]
    assert libro["pendiente"] == 405.0
    assert libro["fecha_pago"] is None
    assert salud(api, "c1")["importe_vencido"] == 405.0
    # A late retry of the original payment does not bring the returned one back.
    _enviar(api, resto)
    assert _exportadas(api, "c1")["f_605"]["pendiente"] == 405.0
    timeline = api.get("/api/clientes/c1/actividades", params={"tipo": "pago"}).json()
    pago = timeline[0]
    assert pago["titulo"] == "Cobro parcial de la factura 2025/0605"
    assert "Devuelto el cobro de 405,00 €" in pago["descripcion"]


def test_pagada_se_puede_devolver_y_emitida_despues_no_la_despaga(
    db: Backend, api: httpx.Client
) -> None:
    db.clock.set(HOY)
    crear_cliente(api, "c1", "Recibos S.L.")
    _enviar(api, evento("pagada", **VENCIDA, fecha_pago="2026-01-10"))
    _enviar(api, evento("emitida", **VENCIDA))  # arrives late: does not un-pay
    assert _exportadas(api, "c1")["f_605"]["pendiente"] == 0.0
    assert salud(api, "c1")["dias_medios_de_retraso"] == 40.0  # due 01/12, paid 10/01

    _enviar(api, _cobro("cobro_devuelto", {"id": "f_605/pagada"}))
    assert _exportadas(api, "c1")["f_605"]["pendiente"] == 605.0
    assert salud(api, "c1")["importe_vencido"] == 605.0


def test_pagada_salda_lo_que_se_debia_ese_dia_no_el_total(db: Backend, api: httpx.Client) -> None:
    """A `factura.pagada` pays what the invoice still owed on its day: after a credit note
    naming it, the rest (the credit is not counted twice, so it cannot settle another
    invoice nobody paid); after a partial payment that is later returned, the rest (the
    return reopens the invoice by its amount); a payment dated after it is the client's
    money, not a smaller, later settlement."""
    db.clock.set(HOY)
    # The credit note, then the payment of the rest: the other invoice still owes.
    crear_cliente(api, "c1", "Abonos S.L.")
    x = {**VENCIDA, "factura_id": "f_x", "numero": "2025/0001", "base": "1000.00",
         "total": "1210.00"}  # fmt: skip
    _enviar(api, evento("emitida", **x))
    _enviar(api, evento("emitida", **VENCIDA))  # 605 €, nobody pays it
    _enviar(api, evento("emitida", factura_id="r_x", cliente_id="c1", numero="R2025/0001",
                        fecha_emision="2025-11-10", base="-500.00", total="-605.00",
                        rectifica="f_x"))  # fmt: skip
    _enviar(api, evento("pagada", **x, fecha_pago="2025-11-20"))
    libro = _exportadas(api, "c1")
    assert libro["f_x"]["pendiente"] == 0.0 and libro["f_x"]["credito_aplicado"] == 605.0
    # The export shows what the settlement paid (it said only "importe": null).
    (pagada,) = libro["f_x"]["cobros"]
    assert (pagada["id"], pagada["importe"], pagada["importe_liquidado"]) == (
        "f_x/pagada",
        None,
        605.0,
    )
    assert libro["f_605"]["pendiente"] == 605.0 and libro["f_605"]["credito_aplicado"] == 0.0
    body = salud(api, "c1")
    assert body["importe_vencido"] == 605.0 and body["facturas_vencidas"] == 1
    assert body["saldo_a_favor"] == 0.0

    # A partial payment, the rest paid, then the partial payment comes back: 200 € owed.
    crear_cliente(api, "c2", "Devoluciones S.L.")
    y = {**VENCIDA, "factura_id": "f_y", "cliente_id": "c2"}
    _enviar(api, evento("emitida", **y))
    _enviar(api, _cobro("cobro", {"id": "rb1", "fecha": "2025-11-10", "importe": 200}, **y))
    _enviar(api, evento("pagada", **y, fecha_pago="2025-11-20"))
    assert _exportadas(api, "c2")["f_y"]["pendiente"] == 0.0
    _enviar(api, _cobro("cobro_devuelto", {"id": "rb1"}, **y))
    assert _exportadas(api, "c2")["f_y"]["pendiente"] == 200.0
    assert salud(api, "c2")["importe_vencido"] == 200.0

    # Paid in full on time, then 100 € more a month later: on time, 100 € in favour.
    crear_cliente(api, "c3", "Pagadores S.L.")
    z = {**VENCIDA, "factura_id": "f_z", "cliente_id": "c3"}
    _enviar(api, evento("pagada", **z, fecha_pago="2025-11-20"))  # due 01/12
    _enviar(api, _cobro("cobro", {"id": "extra", "fecha": "2025-12-20", "importe": 100}, **z))
    libro = _exportadas(api, "c3")
    assert libro["f_z"]["fecha_pago"] == "2025-11-20"
    body = salud(api, "c3")
    assert body["saldo_a_favor"] == 100.0
    assert body["porcentaje_pagos_a_tiempo"] == 100.0
    assert body["dias_medios_de_retraso"] == 0.0
    # The daily recompute reads the settled amounts as the write's refresh did (the
    # ledger's figures; it refits the portfolio's models, which move the others).
    del_libro = ("importe_pendiente", "importe_vencido", "facturas_vencidas", "saldo_a_favor",
                 "porcentaje_pagos_a_tiempo", "dias_promedio_para_pagar",
                 "dias_medios_de_retraso", "antiguedad_deuda", "dso_dias")  # fmt: skip
    antes = {c: salud(api, c) for c in ("c1", "c2", "c3")}
    recalcular(api)
    for cliente_id, cifras in antes.items():
        despues = salud(api, cliente_id)
        assert {k: despues[k] for k in del_libro} == {k: cifras[k] for k in del_libro}


def _el_dia(db: Backend, api: httpx.Client, dia: datetime, payload: dict[str, Any]) -> None:
    db.clock.set(dia)
    response = send(api, payload, now=dia)
    assert response.status_code == 200, response.text


def _pagadas(api: httpx.Client) -> list[tuple[str, bool]]:
    return [(c["id"], c["devuelto"]) for c in _exportadas(api, "c1")["f_605"]["cobros"]]


def test_una_pagada_tras_un_recibo_devuelto_salda_la_factura_otra_vez(
    db: Backend, api: httpx.Client
) -> None:
    """A direct debit that came back and was presented again: the second `pagada` settles
    the invoice (it used to be answered "procesado" and change nothing, leaving 605 €
    overdue and critical alerts). A repeat of the returned payment's event settles nothing."""
    db.clock.set(HOY)
    crear_cliente(api, "c1", "Recibos S.L.")
    _el_dia(db, api, datetime(2026, 1, 12, 10, tzinfo=UTC), evento("emitida", **VENCIDA))
    pagada_10 = evento("pagada", **VENCIDA, fecha_pago="2026-01-10")
    _el_dia(db, api, datetime(2026, 1, 12, 11, tzinfo=UTC), pagada_10)
    devuelto = _cobro("cobro_devuelto", {"id": "f_605/pagada"})
    _el_dia(db, api, datetime(2026, 1, 15, 10, tzinfo=UTC), devuelto)
    assert _exportadas(api, "c1")["f_605"]["pendiente"] == 605.0

    _el_dia(db, api, HOY, pagada_10)  # the returned payment's event again: nothing new
    assert _exportadas(api, "c1")["f_605"]["pendiente"] == 605.0
    assert _pagadas(api) == [("f_605/pagada", True)]

    _el_dia(db, api, HOY, evento("pagada", **VENCIDA, fecha_pago="2026-01-18"))
    exportada = _exportadas(api, "c1")["f_605"]
    assert (exportada["pendiente"], exportada["fecha_pago"]) == (0.0, "2026-01-18")
    assert _pagadas(api) == [("f_605/pagada", True), ("f_605/pagada/2026-01-18", False)]
    figuras = salud(api, "c1")
    assert (figuras["importe_vencido"], figuras["dias_medios_de_retraso"]) == (0.0, 48.0)
    pago = api.get("/api/clientes/c1/actividades", params={"tipo": "pago"}).json()[0]
    assert pago["titulo"] == "Pago de la factura 2025/0605"
    assert pago["descripcion"] == (
        "Cobrados 605,00 € el 18/01/2026. "
        "Devuelto el pago del 10/01/2026 (el que saldaba la factura) el 15/01/2026."
    )
    tipos = {a["tipo"] for a in recomendaciones(api, "c1")["alertas"]}
    assert not tipos & {"factura_vencida", "riesgo_pago"}

    # "f_605/pagada" names the invoice's live settlement: the second one came back too.
    _el_dia(db, api, HOY, devuelto)
    assert _exportadas(api, "c1")["f_605"]["pendiente"] == 605.0
    assert _pagadas(api) == [("f_605/pagada", True), ("f_605/pagada/2026-01-18", True)]
    assert salud(api, "c1")["importe_vencido"] == 605.0


def test_la_devolucion_antes_que_su_pagada_no_salda_la_factura(
    db: Backend, api: httpx.Client
) -> None:
    """Events out of order: the return arrives before the `pagada` it returns. That
    `pagada` dates the returned payment; one dated after the return settles again."""
    db.clock.set(HOY)
    crear_cliente(api, "c1", "Recibos S.L.")
    _el_dia(db, api, datetime(2026, 1, 15, 10, tzinfo=UTC), evento("emitida", **VENCIDA))
    _el_dia(db, api, datetime(2026, 1, 15, 11, tzinfo=UTC),
            _cobro("cobro_devuelto", {"id": "f_605/pagada"}))  # fmt: skip
    _el_dia(db, api, HOY, evento("pagada", **VENCIDA, fecha_pago="2026-01-10"))
    assert _exportadas(api, "c1")["f_605"]["pendiente"] == 605.0
    assert _pagadas(api) == [("f_605/pagada", True)]
    pago = api.get("/api/clientes/c1/actividades", params={"tipo": "pago"}).json()[0]
    assert pago["descripcion"].startswith("Devuelto el pago del 10/01/2026")

    _el_dia(db, api, HOY, evento("pagada", **VENCIDA, fecha_pago="2026-01-16"))
    assert _exportadas(api, "c1")["f_605"]["pendiente"] == 0.0
    assert _pagadas(api) == [("f_605/pagada", True), ("f_605/pagada/2026-01-16", False)]


def _estado_final(db: Backend, api: httpx.Client, eventos: list[tuple[int, dict[str, Any]]]) -> Any:
    """Client c1's invoice after `eventos`, each delivered on its day of January 2026:
    what it owes, its settlement day, and its `pagada` payments as (day, returned)."""
    db.clock.set(HOY)
    crear_cliente(api, "c1", "Recibos S.L.")
    _el_dia(db, api, datetime(2026, 1, 9, 10, tzinfo=UTC), evento("emitida", **VENCIDA))
    for dia, payload in eventos:
        _el_dia(db, api, datetime(2026, 1, dia, 10, tzinfo=UTC), payload)
    exportada = _exportadas(api, "c1")["f_605"]
    pagadas = sorted((c["fecha"], c["devuelto"]) for c in exportada["cobros"])
    return exportada["pendiente"], exportada["fecha_pago"], pagadas


_P10 = evento("pagada", **VENCIDA, fecha_pago="2026-01-10")
_P20 = evento("pagada", **VENCIDA, fecha_pago="2026-01-20")
_DEVUELTO = _cobro("cobro_devuelto", {"id": "f_605/pagada"})


@pytest.mark.parametrize("orden", list(itertools.permutations(range(3))), ids=str)
def test_un_recibo_devuelto_y_vuelto_a_pasar_acaba_igual_en_cualquier_orden(
    db: Backend, api: httpx.Client, orden: tuple[int, ...]
) -> None:
    """Paid on the 10th, returned, presented again and paid on the 20th: whichever order
    the three events reach the CRM in (all on the 21st), the first day is the returned
    one and the invoice ends paid on the 20th. Before, a second `pagada` that arrived
    before the return was dropped and the invoice stayed owed for good, and the original
    `pagada` arriving last settled it on the 10th."""
    eventos = [_P10, _P20, _DEVUELTO]
    assert _estado_final(db, api, [(21, eventos[i]) for i in orden]) == (
        0.0,
        "2026-01-20",
        [("2026-01-10", True), ("2026-01-20", False)],
    )
    pago = api.get("/api/clientes/c1/actividades", params={"tipo": "pago"}).json()[0]
    assert pago["descripcion"].startswith("Cobrados 605,00 € el 20/01/2026.")


@pytest.mark.parametrize("orden", [(0, 2, 2, 1), (0, 2, 1, 2), (2, 2, 0, 1), (1, 2, 0, 2)], ids=str)
def test_dos_devoluciones_de_dos_pagadas_dejan_la_factura_debida(
    db: Backend, api: httpx.Client, orden: tuple[int, ...]
) -> None:
    """Two returns of two `pagada` days, in any order: both came back, it is owed (a
    second return arriving before the second day was dropped as a repeat)."""
    eventos = [_P10, _P20, _DEVUELTO]
    assert _estado_final(db, api, [(21, eventos[i]) for i in orden]) == (
        605.0,
        None,
        [("2026-01-10", True), ("2026-01-20", True)],
    )


def test_una_devolucion_del_mismo_dia_antes_que_su_pagada_deja_la_factura_debida(
    db: Backend, api: httpx.Client
) -> None:
    """A same-day return delivered before its `pagada`: that `pagada` is the returned
    payment's (it dates it), not a second one (it had settled the invoice)."""
    devuelto = (15, _cobro("cobro_devuelto", {"id": "f_605/pagada"}))
    pagada_15 = (15, evento("pagada", **VENCIDA, fecha_pago="2026-01-15"))
    assert _estado_final(db, api, [devuelto, pagada_15]) == (
        605.0,
        None,
        [("2026-01-15", True)],
    )


def test_un_cobro_no_puede_usar_los_ids_de_pagada(db: Backend, api: httpx.Client) -> None:
    """ "…/pagada" and "…/pagada/…" name the invoices' `factura.pagada` payments: a
    sender's partial payment under such an id was overwritten by a `pagada` and returned
    by its return, and under another invoice's, it blocked that invoice's `pagada` (409)."""
    db.clock.set(HOY)
    crear_cliente(api, "c1", "Recibos S.L.")
    _enviar(api, evento("emitida", **VENCIDA))
    for cobro_id in ("f_605/pagada", "f_605/pagada/2026-01-12", "f_otra/pagada"):
        cobro = {"id": cobro_id, "fecha": "2026-01-12", "importe": 100}
        response = send(api, _cobro("cobro", cobro), now=HOY)
        assert response.status_code == 422, response.text
        (error,) = response.json()["errors"]
        assert error["campo"] == "cobro.id"
        assert f"el id de cobro '{cobro_id}' está reservado" in error["mensaje"]
    # A return names the invoice's own "…/pagada", nothing under it.
    otro = _cobro("cobro_devuelto", {"id": "f_605/pagada/2026-01-10"})
    response = send(api, otro, now=HOY)
    assert response.status_code == 422
    assert "usa el id 'f_605/pagada'" in response.json()["errors"][0]["mensaje"]
    # The backfill's payments too, named by their place in the list.
    lote = [factura("f_2", cliente_id="c1", fecha_emision="2026-01-05")]
    lote[0]["cobros"] = [{"id": "f_3/pagada", "fecha": "2026-01-12", "importe": 10}]
    response = api.post("/api/facturas/importar", json=lote)
    assert response.status_code == 422
    assert response.json()["errors"][0]["campo"] == "0.cobros"
    assert _exportadas(api, "c1")["f_605"]["cobros"] == []


def test_un_cobro_devuelto_sin_importe_lo_dice_en_el_historial(
    db: Backend, api: httpx.Client
) -> None:
    """A returned payment the timeline can give no amount for says why, never a bare
    "Devuelto el cobro el …"."""
    db.clock.set(HOY)
    crear_cliente(api, "c1", "Recibos S.L.")
    _enviar(api, evento("emitida", **VENCIDA))
    # A payment id the CRM never saw, without an amount: the contract only requires the id.
    _enviar(api, _cobro("cobro_devuelto", {"id": "cob_desconocido"}))
    pago = api.get("/api/clientes/c1/actividades", params={"tipo": "pago"}).json()[0]
    assert pago["titulo"] == "Cobro devuelto de la factura 2025/0605"
    assert pago["descripcion"] == (
        "Devuelto el cobro 'cob_desconocido' el 20/01/2026: el CRM no lo tenía registrado, "
        "importe desconocido. Quedan 605,00 € pendientes."
    )
    assert _exportadas(api, "c1")["f_605"]["pendiente"] == 605.0  # nothing was collected
    # The payment itself arrives late: its amount replaces "importe desconocido".
    _enviar(api, _cobro("cobro", {"id": "cob_desconocido", "fecha": "2026-01-15", "importe": 100}))
    pago = api.get("/api/clientes/c1/actividades", params={"tipo": "pago"}).json()[0]
    assert pago["descripcion"].startswith("Devuelto el cobro de 100,00 € el 20/01/2026.")
    assert _exportadas(api, "c1")["f_605"]["pendiente"] == 605.0  # still returned

    # The payment of a `factura.pagada` has no amount of its own: it settled the invoice.
    crear_cliente(api, "c2", "Domiciliados S.L.")
    _enviar(api, evento("pagada", **{**VENCIDA, "factura_id": "f_2", "cliente_id": "c2"},
                        fecha_pago="2026-01-10"))  # fmt: skip
    _enviar(api, _cobro("cobro_devuelto", {"id": "f_2/pagada"}, factura_id="f_2", cliente_id="c2"))
    pago = api.get("/api/clientes/c2/actividades", params={"tipo": "pago"}).json()[0]
    assert pago["descripcion"] == (
        "Devuelto el pago del 10/01/2026 (el que saldaba la factura) el 20/01/2026. "
        "Quedan 605,00 € pendientes."
    )


def test_un_evento_de_una_version_anterior_no_cambia_nada(db: Backend, api: httpx.Client) -> None:
    """The issue's case: a delayed retry of an old event overwrote a newer correction."""
    db.clock.set(HOY)
    crear_cliente(api, "c1", "Versiones S.L.")
    nueva = evento("emitida", **{**VENCIDA, "base": "1000.00", "total": "1200.00"}, version=2)
    _enviar(api, nueva)
    vieja = evento("emitida", **{**VENCIDA, "base": "100.00", "total": "100.00"}, version=1)
    respuesta = _enviar(api, vieja)
    assert respuesta.json()["estado"] == "obsoleto"
    libro = _exportadas(api, "c1")["f_605"]
    assert (libro["total"], libro["version"], libro["pendiente"]) == (1200.0, 2, 1200.0)
    # Without versions the latest arrival wins, as before.
    _enviar(api, evento("emitida", **{**VENCIDA, "base": "500.00", "total": "605.00"}))
    assert _exportadas(api, "c1")["f_605"]["total"] == 605.0


def test_un_cobro_futuro_se_rechaza_sin_registrar_nada(db: Backend, api: httpx.Client) -> None:
    db.clock.set(HOY)
    crear_cliente(api, "c1", "Futuro S.L.")
    futuro = _cobro("cobro", {"id": "cob_f", "fecha": "2026-02-20", "importe": 605})
    respuesta = send(api, futuro, now=HOY)
    assert respuesta.status_code == 422
    assert "posterior a hoy" in respuesta.json()["detail"]
    assert _exportadas(api, "c1") == {}
    # A payment before the issue date is a prepayment: accepted, 0 days late.
    anticipo = _cobro("cobro", {"id": "cob_a", "fecha": "2025-10-20", "importe": 605})
    _enviar(api, anticipo)
    body = salud(api, "c1")
    assert body["importe_pendiente"] == 0.0
    assert (body["dias_promedio_para_pagar"], body["dias_medios_de_retraso"]) == (0.0, 0.0)
    assert body["porcentaje_pagos_a_tiempo"] == 100.0


def test_la_importacion_trae_los_cobros(db: Backend, api: httpx.Client) -> None:
    db.clock.set(HOY)
    crear_cliente(api, "c1", "Histórico S.L.")
    con_cobros = factura(
        "f_h",
        cliente_id="c1",
        fecha_emision="2025-11-01",
        fecha_vencimiento="2025-12-01",
        base=1000,
        total=1210,
        cobros=[
            {"id": "h_1", "fecha": "2025-11-20", "importe": 605},
            {"id": "h_2", "fecha": "2025-12-11", "importe": 605},
        ],
    )
    importar(api, [con_cobros])
    importar(api, [con_cobros])  # idempotent
    libro = _exportadas(api, "c1")["f_h"]
    assert (libro["pendiente"], libro["fecha_pago"]) == (0.0, "2025-12-11")
    # The GDPR export carries the payments.
    assert [(c["id"], c["fecha"], c["importe"], c["devuelto"]) for c in libro["cobros"]] == [
        ("h_1", "2025-11-20", 605.0, False),
        ("h_2", "2025-12-11", 605.0, False),
    ]
    body = salud(api, "c1")
    # Half on time (19 days), half 10 days late (40 days): by amount.
    assert body["porcentaje_pagos_a_tiempo"] == 50.0
    assert body["dias_promedio_para_pagar"] == 29.5
    assert body["dias_medios_de_retraso"] == 5.0


def test_el_panel_de_cartera_muestra_la_antiguedad_de_la_deuda(
    db: Backend, api: httpx.Client
) -> None:
    db.clock.set(HOY)
    crear_cliente(api, "c1", "Deudas S.L.")

    def deuda(factura_id: str, emision: str, vence: str, importe: int, **extra: Any) -> Any:
        return factura(
            factura_id,
            cliente_id="c1",
            fecha_emision=emision,
            fecha_vencimiento=vence,
            base=importe,
            total=importe,
            **extra,
        )

    importar(
        api,
        [
            deuda("d0", "2026-01-10", "2026-02-09", 100),
            deuda("d1", "2025-12-01", "2026-01-19", 200),
            deuda("d2", "2025-11-01", "2025-11-21", 300),
            deuda("d4", "2025-09-01", "2025-10-01", 400),
            deuda("pagada", "2025-09-01", "2025-10-01", 999, fecha_pago="2025-10-01"),
        ],
    )  # fmt: skip
    tablero = api.get("/api/dashboard").json()
    assert tablero["antiguedad_deuda"] == {
        "no_vencido": {"facturas": 1, "importe": 100.0},
        "d1_30": {"facturas": 1, "importe": 200.0},  # 1 day past due
        "d31_60": {"facturas": 1, "importe": 300.0},  # 60 days
        "d61_90": {"facturas": 0, "importe": 0.0},
        "mas_90": {"facturas": 1, "importe": 400.0},  # 111 days
    }
    assert tablero["importe_pendiente"] == 1000.0
    assert tablero["facturas_vencidas"] == {"numero": 3, "importe": 900.0}
    assert salud(api, "c1")["antiguedad_deuda"] == {
        "no_vencido": 100.0, "d1_30": 200.0, "d31_60": 300.0, "d61_90": 0.0, "mas_90": 400.0
    }  # fmt: skip


def test_ids_de_cobro_repetidos_y_versiones_grandes(db: Backend, api: httpx.Client) -> None:
    """Found by the fuzzer: each was a 500."""
    db.clock.set(HOY)
    crear_cliente(api, "c1", "Bordes S.L.")
    dos_veces = factura("f1", cliente_id="c1", fecha_emision="2025-11-01", base=100, total=121,
                        cobros=[{"id": "a", "fecha": "2025-11-02", "importe": 10},
                                {"id": "a", "fecha": "2025-11-03", "importe": 20}])  # fmt: skip
    respuesta = api.post("/api/facturas/importar", json=[dos_veces])
    assert respuesta.status_code == 422
    assert "el cobro 'a' aparece dos veces" in respuesta.json()["detail"]
    # One payment id on two invoices of one backfill: a conflict, nothing recorded.
    otra = {**dos_veces, "cobros": dos_veces["cobros"][:1]}
    lote = [otra, {**otra, "id": "f2", "numero": "2025/f2"}]
    respuesta = api.post("/api/facturas/importar", json=lote)
    assert respuesta.status_code == 409
    assert "El cobro 'a' ya está registrado para otra factura ('f1')" in respuesta.json()["detail"]
    assert _exportadas(api, "c1") == {}
    # Versions as millisecond timestamps do not fit 32 bits.
    importar(api, [factura("f3", cliente_id="c1", version=1_796_180_537_000)])
    assert _exportadas(api, "c1")["f3"]["version"] == 1_796_180_537_000


def test_una_factura_dos_veces_en_el_mismo_lote(db: Backend, api: httpx.Client) -> None:
    """Found by the fuzzer (a 500): the same paid invoice twice in one backfill is one
    invoice, one payment and one entry of each kind in the timeline."""
    db.clock.set(HOY)
    crear_cliente(api, "c1", "Lotes S.L.")
    pagada = factura("f1", cliente_id="c1", fecha_emision="2026-01-10", fecha_pago="2026-01-15",
                     base=100, total=121)  # fmt: skip
    respuesta = api.post("/api/facturas/importar", json=[pagada, pagada])
    assert respuesta.status_code == 200, respuesta.text
    assert respuesta.json()["nuevas"] == 1
    libro = _exportadas(api, "c1")["f1"]
    assert [c["id"] for c in libro["cobros"]] == ["f1/pagada"]
    entradas = api.get("/api/clientes/c1/actividades").json()
    assert sorted(e["tipo"] for e in entradas) == ["factura", "pago"]


def test_un_sobrepago_no_cuenta_como_pagado_tarde(db: Backend, api: httpx.Client) -> None:
    """QA's case: 1.210 € issued 01/10/2025, due 31/10; 300 € paid on 20/10 (on time), then
    2.000 € on 30/11 (late). Of those 2.000 €, 910 € settle the invoice and 1.090 € are the
    client's credit: on time is 300 ÷ 1.210, not 300 ÷ 2.300 (13 %)."""
    db.clock.set(HOY)
    crear_cliente(api, "c1", "Sobrepagos S.L.")
    sobrepagada = {
        "factura_id": "f_1210",
        "cliente_id": "c1",
        "numero": "2025/1210",
        "fecha_emision": "2025-10-01",
        "fecha_vencimiento": "2025-10-31",
        "base": "1000.00",
        "total": "1210.00",
    }
    _enviar(api, evento("emitida", **sobrepagada))
    for cobro in (
        {"id": "cob_300", "fecha": "2025-10-20", "importe": 300},
        {"id": "cob_2000", "fecha": "2025-11-30", "importe": 2000},
    ):
        _enviar(api, {**evento("cobro", **sobrepagada), "cobro": cobro})

    libro = _exportadas(api, "c1")["f_1210"]
    assert (libro["pendiente"], libro["fecha_pago"]) == (0.0, "2025-11-30")
    # 300 ÷ 1.210 on time; (300 × 19 + 910 × 60) ÷ 1.210 days to pay; 910 € 30 days late.
    esperado = {
        "porcentaje_pagos_a_tiempo": 24.8,
        "dias_promedio_para_pagar": 49.8,
        "dias_medios_de_retraso": 22.6,
        "saldo_a_favor": 1090.0,
        "importe_pendiente": 0.0,
    }
    # As the webhook wrote it (the one-client engine), then the daily recompute (the batch).
    assert {k: salud(api, "c1")[k] for k in esperado} == esperado
    assert recalcular(api)["clientes"] == 1
    assert {k: salud(api, "c1")[k] for k in esperado} == esperado
