"""A client's health, its recommendations and the daily recompute, through the API
(contract §4 and §5, docs/salud.md), at fixed dates on both databases."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from ..conftest import Backend
from ..salud_helpers import (
    HOY,
    RANGO,
    crear_cliente,
    ficha,
    fila_de_lista,
    historial_regular,
    importar,
    recalcular,
    recomendaciones,
    salud,
)
from ..webhook_helpers import evento, factura, send

# --- GET /api/clientes/{id}/salud ------------------------------------------------


def test_salud_de_un_cliente_con_historial(db: Backend, api: httpx.Client) -> None:
    db.clock.set(HOY)
    crear_cliente(api, "abc123", "Empresa XYZ S.L.")
    importar(api, historial_regular("abc123"))

    body = salud(api, "abc123")

    assert body["cliente_id"] == "abc123"
    assert body["ltv_lifetime_value"] == 6066.12  # 4 × 1.000 + 2.066,12
    assert body["monto_promedio_factura"] == 1213.22  # 6.066,12 / 5
    # Contract §7, by amount: four payments of 1.210 € after 10, 20, 30, 40 days.
    assert body["dias_promedio_para_pagar"] == 25.0  # (10 + 20 + 30 + 40) / 4
    assert body["dias_medios_de_retraso"] == 2.5  # 1.210 € 10 days late ÷ 4.840 €
    # On time 3 × 1.210 of 4 × 1.210 settled + 2.500 overdue: 3.630 ÷ 7.340 = 49,46 %.
    assert body["porcentaje_pagos_a_tiempo"] == 49.5
    # 2 late (the 4th, paid 10 days late, and the overdue one) of 5, shrunk toward the
    # default prior (30 %, worth 5 invoices): (2 + 1,5) ÷ (5 + 5).
    assert body["probabilidad_pago_tardio"] == 0.35
    assert body["importe_pendiente"] == 2500.0
    assert body["antiguedad_deuda"] == {
        "no_vencido": 0.0, "d1_30": 0.0, "d31_60": 2500.0, "d61_90": 0.0, "mas_90": 0.0
    }  # fmt: skip
    # 2.500 pending ÷ 3.710 invoiced since 22/10/2025 (01/11 and 01/12) × 90 days.
    assert body["dso_dias"] == 60.6
    assert body["saldo_a_favor"] == 0.0
    assert body["factura_pagada_más_antigua"] == "2025-08-03"
    assert body["factura_impagada_más_antigua"] == "2025-12-01"
    assert body["frecuencia_compra_dias"] == 30
    assert body["meses_como_cliente"] == 5  # 03/08/2025 -> 20/01/2026
    # The purchase model (no recompute yet: its prior) sees a monthly buyer 20 days late:
    # still likely alive (72 % to buy again within a year), next purchase expected within
    # one usual gap from today, and 1,15 purchases in 90 days at its mean value per purchase.
    assert body["fecha_proxima_factura_esperada"] == "2026-02-19"
    assert body["probabilidad_activo"] == 0.724
    assert body["compras_esperadas_90_dias"] == 1.15
    assert body["ingresos_esperados_30_dias"] == 496.34
    assert body["ingresos_esperados_90_dias"] == 1400.02
    assert body["facturas_vencidas"] == 1
    assert body["importe_vencido"] == 2500.0
    assert body["riesgo_impago"] == "critico"
    # 100 × (1 − 0,724), half up.
    assert body["riesgo_perdida_score"] == 28
    # Invoices and payments are in the timeline but are not interactions (contract §8):
    # nobody has called, written or met this client yet.
    assert body["dias_sin_actividad"] is None
    assert body["numero_actividades_ultimos_30_dias"] == 0
    assert body["fecha_última_interaccion"] is None
    assert body["salud_general"] == "critica"
    assert body["fecha_calculo"] == "2026-01-20"
    assert body["motivos"] == [
        "1 factura vencida con 2.500,00 € pendientes; la más antigua, 40 días después del "
        "vencimiento",
        "Probabilidad de que pague tarde su próxima factura: 35 % (2 con retraso de "
        "5 facturas; la cartera, 30 %)",
        "Probabilidad de que vuelva a comprar en los próximos 12 meses: 72 % "
        "(5 compras, la última hace 50 días; suele comprar cada 30 días)",
        "Riesgo de pérdida 28/100",
    ]
    # The client 360 carries the same health, and the client's risk mirrors it.
    cliente = ficha(api, "abc123")
    assert cliente["salud"] == body
    assert cliente["riesgo_impago"] == "critico"
    assert cliente["ltv"] == 6066.12


def test_sin_facturas_no_se_inventan_numeros(db: Backend, api: httpx.Client) -> None:
    db.clock.set(HOY)
    crear_cliente(api, "nuevo", "Recién Llegada S.L.")

    body = salud(api, "nuevo")

    assert body["ltv_lifetime_value"] == 0
    for vacio in (
        "monto_promedio_factura",
        "dias_promedio_para_pagar",
        "frecuencia_compra_dias",
        "meses_como_cliente",
        "fecha_proxima_factura_esperada",
        "factura_pagada_más_antigua",
        "factura_impagada_más_antigua",
        "dias_sin_actividad",
        "fecha_última_interaccion",
    ):
        assert body[vacio] is None, vacio
    # No payment history: null, never an invented 100 % (contract §7).
    for sin_historial in (
        "porcentaje_pagos_a_tiempo",
        "probabilidad_pago_tardio",
        "dias_medios_de_retraso",
        "dso_dias",
    ):
        assert body[sin_historial] is None, sin_historial
    assert body["ingresos_esperados_30_dias"] == 0
    assert body["ingresos_esperados_90_dias"] == 0
    assert body["riesgo_impago"] == "bajo"
    assert body["riesgo_perdida_score"] == 0
    assert body["salud_general"] == "excelente"
    assert body["facturas_vencidas"] == 0
    assert body["motivos"] == [
        "Sin facturas que cobrar: aún no hay historial de pagos",
        "Sin compras todavía: no hay historial para estimar si volverá a comprar "
        "(riesgo de pérdida 0/100)",
    ]
    assert body["probabilidad_activo"] is None
    assert body["compras_esperadas_90_dias"] is None
    assert ficha(api, "nuevo")["estado"] == "prospecto"


def test_una_venta_ganada_sin_factura_no_dice_sin_compras(db: Backend, api: httpx.Client) -> None:
    """Won, not invoiced yet: active, and its reason does not say it never bought."""
    db.clock.set(HOY)
    crear_cliente(api, "ganado", "Ganado S.L.")
    creada = api.post(
        "/api/clientes/ganado/oportunidades",
        json={"nombre_proyecto": "Web nueva", "monto_estimado": 1000},
    )
    assert creada.status_code == 201, creada.text
    ganada = api.put(f"/api/clientes/oportunidades/{creada.json()['id']}/ganada")
    assert ganada.status_code == 200, ganada.text
    assert ficha(api, "ganado")["estado"] == "cliente_activo"
    assert salud(api, "ganado")["motivos"][-1] == (
        "Sin compras facturadas hasta hoy: no hay historial para estimar si volverá a "
        "comprar (riesgo de pérdida 0/100)"
    )


def test_una_sola_compra_no_tiene_frecuencia(db: Backend, api: httpx.Client) -> None:
    db.clock.set(HOY)
    crear_cliente(api, "una", "Una Vez S.L.")
    importar(
        api,
        [factura("una_1", cliente_id="una", fecha_emision="2026-01-10", base=100, total=121)],
    )

    body = salud(api, "una")

    assert body["frecuencia_compra_dias"] is None
    assert body["fecha_proxima_factura_esperada"] is None
    assert body["dias_promedio_para_pagar"] is None  # nothing paid yet
    assert body["monto_promedio_factura"] == 100.0
    # No cadence of its own, but the purchase model still judges a buyer of 10 days ago:
    # likely to come back (61 %: the prior gives a 1 in 5 chance of leaving right after a
    # purchase, the first included), 0,62 purchases in 90 days at its 100 € per purchase;
    # no next date, since one purchase says nothing about when.
    assert body["probabilidad_activo"] == 0.614
    assert body["compras_esperadas_90_dias"] == 0.62
    assert body["ingresos_esperados_90_dias"] == 61.93
    assert body["riesgo_perdida_score"] == 39


@pytest.mark.parametrize("ruta", ["salud", "recomendaciones"])
def test_cliente_desconocido_404(api: httpx.Client, ruta: str) -> None:
    response = api.get(f"/api/clientes/no-existe/{ruta}")
    assert response.status_code == 404
    assert "no-existe" in response.json()["detail"]


# --- time moves health without any event ----------------------------------------------


def test_el_paso_del_tiempo_cambia_la_salud_y_recalcular_lo_lleva_a_la_lista(
    db: Backend, api: httpx.Client
) -> None:
    db.clock.set(HOY)
    crear_cliente(api, "b-regular", "Regular S.L.")
    crear_cliente(api, "c-grande", "Grande S.A.")
    # The big buyer first, so that it is the VIP from the start.
    grande = factura(
        "c_1",
        cliente_id="c-grande",
        fecha_emision="2026-01-15",
        base=50000,
        total=60500,
        fecha_pago="2026-01-15",
    )
    importar(api, [grande])
    importar(
        api,
        [
            factura(
                "b_1",
                cliente_id="b-regular",
                fecha_emision="2025-11-20",
                base=1000,
                total=1210,
                fecha_pago="2025-11-30",
            ),
            factura(
                "b_2",
                cliente_id="b-regular",
                fecha_emision="2025-12-20",
                base=1000,
                total=1210,
                fecha_pago="2025-12-30",
            ),
            factura(
                "b_3",
                cliente_id="b-regular",
                numero="2026/0007",
                fecha_emision="2026-01-10",  # due 09/02/2026
                base=1000,
                total=1210,
            ),
        ],
    )
    antes = salud(api, "b-regular")
    assert antes["dias_sin_actividad"] is None  # invoices are not interactions
    assert antes["facturas_vencidas"] == 0
    assert antes["riesgo_impago"] == "bajo"
    assert antes["frecuencia_compra_dias"] == 26  # median of 30 and 21, rounded half up
    # Three purchases, the last 10 days ago: 81 % likely to buy again within a year.
    assert antes["riesgo_perdida_score"] == 19
    assert antes["salud_general"] == "excelente"
    assert ficha(api, "b-regular")["estado"] == "cliente_activo"
    assert fila_de_lista(api, "c-grande")["estado"] == "vip"

    # 15/03/2026: 64 days without buying, 2026/0007 is 34 days overdue. No event arrived.
    db.clock.set(datetime(2026, 3, 15, 10, 0, tzinfo=UTC))
    ahora = salud(api, "b-regular")
    assert ahora["dias_sin_actividad"] is None
    assert ahora["facturas_vencidas"] == 1
    assert ahora["importe_vencido"] == 1210.0
    assert ahora["riesgo_impago"] == "critico"
    # 64 days without buying, against a usual 26: the model's chance of another purchase
    # within a year falls to 63 % (no recompute yet: the model's prior).
    assert ahora["riesgo_perdida_score"] == 37
    assert ahora["salud_general"] == "critica"
    assert ahora["fecha_calculo"] == "2026-03-15"
    cliente = ficha(api, "b-regular")
    assert cliente["estado"] == "cliente_dormido"
    assert cliente["riesgo_impago"] == "critico"
    assert cliente["salud"] == ahora
    alertas = {a["tipo"]: a for a in recomendaciones(api, "b-regular")["alertas"]}
    assert alertas["cliente_dormido"]["mensaje"] == (
        "Cliente dormido: sin compras desde el 10/01/2026 (hace 64 días)."
    )
    assert alertas["factura_vencida"]["severidad"] == "critica"

    # The first read of the day stored what it showed (issue 14.1), so the list and the
    # dashboard, which read the stored rows, agree for this client...
    fila = fila_de_lista(api, "b-regular")
    assert fila["estado"] == "cliente_dormido"
    assert fila["riesgo_impago"] == "critico"
    assert fila["dias_sin_actividad"] is None
    assert fila["riesgo_perdida_score"] == 37
    assert fila["salud_general"] == "critica"
    tablero = api.get("/api/dashboard").json()
    assert tablero["clientes_por_estado"]["cliente_dormido"] == 1
    assert tablero["facturas_vencidas"] == {"numero": 1, "importe": 1210.0}

    # ... and after the daily recompute (the portfolio's model refitted) they still read
    # the same.
    assert recalcular(api) == {"clientes": 2, "fecha_calculo": "2026-03-15"}
    fila = fila_de_lista(api, "b-regular")
    cliente = ficha(api, "b-regular")
    ahora = salud(api, "b-regular")
    assert fila["estado"] == cliente["estado"] == "cliente_dormido"
    assert fila["riesgo_impago"] == cliente["riesgo_impago"] == ahora["riesgo_impago"]
    assert fila["dias_sin_actividad"] is None and ahora["dias_sin_actividad"] is None
    # The recompute fitted the portfolio's own model (two clients: near its prior, still 37),
    # read alike everywhere.
    assert fila["riesgo_perdida_score"] == ahora["riesgo_perdida_score"] == 37
    assert fila["salud_general"] == ahora["salud_general"] == "critica"
    assert fila["ltv"] == cliente["ltv"] == ahora["ltv_lifetime_value"] == 3000.0
    assert fila["fecha_última_compra"] == cliente["fecha_última_compra"] == "2026-01-10"
    assert cliente["salud"] == ahora
    tablero = api.get("/api/dashboard").json()
    assert tablero["clientes_por_estado"]["cliente_dormido"] == 1
    assert tablero["clientes_por_estado"]["cliente_activo"] == 0
    # 59 days since its purchase: still an active VIP.
    assert fila_de_lista(api, "c-grande")["estado"] == ficha(api, "c-grande")["estado"] == "vip"


def test_una_tarea_pendiente_no_rompe_un_silencio_y_hecha_si(
    db: Backend, api: httpx.Client
) -> None:
    """Contract §8: completed tasks are interactions; a pending one, overdue or not, is
    something nobody did, and must not hide how long the client has gone without one."""
    db.clock.set(HOY)  # 20/01/2026
    crear_cliente(api, "callado", "Callado S.L.")
    ruta = "/api/clientes/callado/actividades"
    llamada = {"tipo": "llamada", "titulo": "Primera llamada", "fecha": "2026-01-02T10:00:00"}
    assert api.post(ruta, json=llamada).status_code == 201
    tarea = api.post(
        ruta, json={"tipo": "tarea", "titulo": "Enviar catálogo", "fecha": "2026-01-16T09:00:00"}
    )
    assert tarea.status_code == 201, tarea.text

    antes = salud(api, "callado")
    assert antes["dias_sin_actividad"] == 18  # the call of 02/01, not the pending task
    assert antes["numero_actividades_ultimos_30_dias"] == 1
    assert antes["fecha_última_interaccion"] == "2026-01-02T10:00:00+01:00"

    hecha = api.patch(f"{ruta}/{tarea.json()['id']}", json={"completada": True})
    assert hecha.status_code == 200, hecha.text
    despues = salud(api, "callado")
    assert despues["dias_sin_actividad"] == 4  # the task, done, dated 16/01
    assert despues["numero_actividades_ultimos_30_dias"] == 2
    assert despues["fecha_última_interaccion"] == "2026-01-16T09:00:00+01:00"


def test_un_pago_por_webhook_se_refleja_en_la_salud(db: Backend, api: httpx.Client) -> None:
    db.clock.set(HOY)
    crear_cliente(api, "abc123", "Empresa XYZ S.L.")
    importar(api, historial_regular("abc123"))
    assert salud(api, "abc123")["riesgo_impago"] == "critico"

    pago = evento(
        "pagada",
        factura_id="abc123_0123",
        numero="2025/0123",
        fecha_emision="2025-12-01",
        fecha_vencimiento="2025-12-11",
        base="2066.12",
        total="2500.00",
        fecha_pago="2026-01-20",
    )
    assert send(api, pago, now=HOY).status_code == 200

    body = salud(api, "abc123")
    assert body["facturas_vencidas"] == 0
    assert body["factura_impagada_más_antigua"] is None
    # By amount: (1.210 × (10 + 20 + 30 + 40) + 2.500 × 50) ÷ 7.340 = 33,51 days.
    assert body["dias_promedio_para_pagar"] == 33.5
    # 1.210 € 10 days late and 2.500 € 40 days late, over 7.340 €: 15,27 days.
    assert body["dias_medios_de_retraso"] == 15.3
    assert body["porcentaje_pagos_a_tiempo"] == 49.5  # 3.630 of 7.340 € on time
    assert body["importe_pendiente"] == 0.0
    # Nothing overdue now; 2 of 5 paid late: (2 + 1,5) ÷ 10 = 35 % ≥ 30 % is medio.
    assert body["probabilidad_pago_tardio"] == 0.35
    assert body["riesgo_impago"] == "medio"
    assert body["dias_sin_actividad"] is None  # a payment is not an interaction
    assert fila_de_lista(api, "abc123")["riesgo_impago"] == "medio"


# --- GET /api/clientes/{id}/recomendaciones ----------------------------------------------


def test_recomendaciones_nombran_factura_importe_contacto_y_oportunidad(
    db: Backend, api: httpx.Client
) -> None:
    db.clock.set(HOY)
    crear_cliente(
        api, "techcorp", "TechCorp S.L.", cif_nif="A12345678", **{"tamaño_empresa": "mediana"}
    )
    importar(api, historial_regular("techcorp"))
    for contacto in (
        {"nombre_completo": "María López", "rol": "Contable", "es_contacto_financiero": True},
        {"nombre_completo": "Juan Pérez", "rol": "Gerente", "es_contacto_principal": True},
    ):
        response = api.post("/api/clientes/techcorp/contactos", json=contacto)
        assert response.status_code == 201, response.text
    response = api.post(
        "/api/clientes/techcorp/oportunidades",
        json={
            "nombre_proyecto": "Implementación ERP",
            "monto_estimado": 45000,
            "estado": "presupuesto",
            "probabilidad_cierre": 65,
            "fecha_cierre_estimada": "2026-01-15T12:00:00+01:00",
        },
    )
    assert response.status_code == 201, response.text
    response = api.post(
        "/api/clientes/techcorp/actividades",
        json={"tipo": "tarea", "titulo": "Enviar presupuesto", "fecha": "2026-01-12T09:00:00"},
    )
    assert response.status_code == 201, response.text

    body = recomendaciones(api, "techcorp")

    assert set(body) == {
        "cliente_id",
        "fecha_generacion",
        "alertas",
        "oportunidades",
        "acciones_sugeridas",
    }
    assert body["cliente_id"] == "techcorp"
    assert datetime.fromisoformat(body["fecha_generacion"]) == HOY
    assert [(a["tipo"], a["severidad"]) for a in body["alertas"]] == [
        ("factura_vencida", "critica"),
        ("riesgo_pago", "critica"),
        ("cif_nif_invalido", "alta"),
        ("tarea_vencida", "alta"),  # 8 days: more than 7
        ("compra_atrasada", "media"),  # expected 31/12/2025, 20 days late (< one gap)
        ("oportunidad_estancada", "media"),
        # The only activity is a task nobody did: no interaction yet (contract §8).
        ("inactividad", "baja"),
    ]
    mensajes = {a["tipo"]: a["mensaje"] for a in body["alertas"]}
    assert mensajes["factura_vencida"] == (
        "Factura 2025/0123 de 2.500,00 € sin pagar: venció el 11/12/2025, hace 40 días."
    )
    assert mensajes["riesgo_pago"].startswith("Riesgo de impago crítico: 1 factura vencida")
    assert mensajes["cif_nif_invalido"] == (
        "El CIF/NIF A12345678 de TechCorp S.L. tiene el dígito de control incorrecto: "
        "corregirlo antes de emitir la próxima factura."
    )
    assert mensajes["tarea_vencida"] == (
        "La tarea «Enviar presupuesto» venció el 12/01/2026 (hace 8 días)."
    )
    assert mensajes["compra_atrasada"] == (
        "Compra atrasada: suele comprar cada 30 días y la última fue el 01/12/2025; "
        "se esperaba otra el 31/12/2025 (hace 20 días)."
    )
    assert mensajes["oportunidad_estancada"] == (
        "La oportunidad «Implementación ERP» (45.000,00 €) está estancada: "
        "su cierre estimado era el 15/01/2026 (hace 5 días)."
    )
    # The most urgent action: call the financial contact about the overdue invoice.
    assert body["acciones_sugeridas"][0] == (
        "Llamar a María López (Contable) para reclamar la factura 2025/0123 de 2.500,00 €, "
        "vencida hace 40 días"
    )
    assert (
        "Llamar a Juan Pérez (Gerente) para avanzar la oportunidad «Implementación ERP» "
        "(45.000,00 €) y fijar una nueva fecha de cierre" in body["acciones_sugeridas"]
    )
    assert "Completar o reprogramar la tarea «Enviar presupuesto»" in body["acciones_sugeridas"]
    assert len(set(body["acciones_sugeridas"])) == len(body["acciones_sugeridas"])
    # Sole buyer, active, medium-sized company.
    assert body["oportunidades"] == [
        {
            "tipo": "vip",
            "mensaje": "Cliente VIP (LTV 6.066,12 €, entre el 10 % que más factura): "
            "considerar un gestor de cuenta dedicado.",
        }
    ]
    # Same client, same day: the same lists.
    assert recomendaciones(api, "techcorp") == body


def test_alertas_ordenadas_por_severidad(db: Backend, api: httpx.Client) -> None:
    db.clock.set(HOY)
    crear_cliente(api, "abc123", "Empresa XYZ S.L.", cif_nif="A12345678")
    importar(api, historial_regular("abc123"))

    alertas = recomendaciones(api, "abc123")["alertas"]

    rangos = [RANGO[a["severidad"]] for a in alertas]
    assert rangos == sorted(rangos)
    assert alertas[0]["severidad"] == "critica"
    assert {a["severidad"] for a in alertas} == {"critica", "alta", "media", "baja"}
    # No contacts: nobody principal, nobody financial (media: an invoice is overdue).
    tipos = {a["tipo"]: a["severidad"] for a in alertas}
    assert tipos["sin_contacto_principal"] == "baja"
    assert tipos["sin_contacto_financiero"] == "media"
    assert tipos["cif_nif_invalido"] == "alta"


def test_cif_valido_no_da_alerta(db: Backend, api: httpx.Client) -> None:
    db.clock.set(HOY)
    crear_cliente(api, "ok", "Correcta S.L.", cif_nif="B12345674")
    tipos = [a["tipo"] for a in recomendaciones(api, "ok")["alertas"]]
    assert "cif_nif_invalido" not in tipos


# --- POST /api/salud/recalcular: VIP, dormant VIP, lost ------------------------------------


def test_recalcular_vip_vip_dormido_y_perdido(db: Backend, api: httpx.Client) -> None:
    db.clock.set(HOY)
    facturas = []
    for n in range(1, 13):
        cliente_id = f"comprador-{n:02d}"
        crear_cliente(api, cliente_id, f"Comprador {n:02d} S.L.")
        # The biggest buyer last bought on 01/12/2025, the others in January.
        emision = "2025-12-01" if n == 12 else f"2026-01-{n:02d}"
        facturas.append(
            factura(
                f"fac_{n:02d}",
                cliente_id=cliente_id,
                fecha_emision=emision,
                base=n * 1000,
                total=n * 1210,
                fecha_pago=emision,
            )
        )
    importar(api, facturas)
    response = api.patch("/api/clientes/comprador-01", json={"estado": "cliente_perdido"})
    assert response.status_code == 200, response.text

    assert recalcular(api) == {"clientes": 12, "fecha_calculo": "2026-01-20"}

    # 12 buyers: k = 12 // 10 = 1, only the top one.
    vip = api.get("/api/clientes/", params={"estado": "vip"}).json()
    assert [c["id"] for c in vip["clientes"]] == ["comprador-12"]
    assert ficha(api, "comprador-12")["estado"] == "vip"
    assert fila_de_lista(api, "comprador-11")["estado"] == "cliente_activo"
    assert fila_de_lista(api, "comprador-01")["estado"] == "cliente_perdido"

    # 05/02/2026: the top buyer has not bought for 66 days.
    db.clock.set(datetime(2026, 2, 5, 10, 0, tzinfo=UTC))
    assert recalcular(api) == {"clientes": 12, "fecha_calculo": "2026-02-05"}

    assert fila_de_lista(api, "comprador-12")["estado"] == "cliente_dormido"
    assert fila_de_lista(api, "comprador-01")["estado"] == "cliente_perdido"
    assert ficha(api, "comprador-01")["estado"] == "cliente_perdido"
    alerta = {
        "tipo": "vip_dormido",
        "severidad": "critica",
        "mensaje": "Cliente VIP dormido: Comprador 12 S.L. (LTV 12.000,00 €) no compra desde "
        "el 01/12/2025 (hace 66 días).",
        "referencia_id": None,  # a client has one such alert: nothing to tell it from
    }
    alertas = recomendaciones(api, "comprador-12")["alertas"]
    assert alerta in alertas and alertas[0]["severidad"] == "critica"
    assert "cliente_dormido" not in [a["tipo"] for a in alertas]  # replaced by vip_dormido
    cartera = api.get("/api/alertas", params={"tipo": "vip_dormido"}).json()
    assert cartera["total"] == 1
    assert cartera["alertas"] == [
        {"cliente_id": "comprador-12", "nombre_empresa": "Comprador 12 S.L.", **alerta}
    ]


def test_cliente_perdido_vuelve_a_activo_con_una_compra_nueva(
    db: Backend, api: httpx.Client
) -> None:
    db.clock.set(HOY)
    crear_cliente(api, "ida", "Se Fue S.L.")
    importar(api, [factura("ida_1", cliente_id="ida", fecha_emision="2025-10-01", base=100)])
    api.patch("/api/clientes/ida", json={"estado": "cliente_perdido"}).raise_for_status()
    recalcular(api)
    assert fila_de_lista(api, "ida")["estado"] == "cliente_perdido"

    importar(api, [factura("ida_2", cliente_id="ida", fecha_emision="2026-01-19", base=100)])

    assert fila_de_lista(api, "ida")["estado"] == "vip"  # sole buyer
    recalcular(api)
    assert ficha(api, "ida")["estado"] == fila_de_lista(api, "ida")["estado"] == "vip"


# --- authentication ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/clientes/abc123/salud"),
        ("GET", "/api/clientes/abc123/recomendaciones"),
        ("POST", "/api/salud/recalcular"),
    ],
)
def test_sin_clave_401(anon: httpx.Client, method: str, path: str) -> None:
    assert anon.request(method, path).status_code == 401


def test_la_salud_lleva_el_margen_del_cliente(db: Backend, api: httpx.Client) -> None:
    db.clock.set(HOY)
    response = api.post(
        "/api/clientes/",
        json={"id": "margen", "nombre_empresa": "Margen S.L.", "email": "m@m.es",
              "margen_promedio": 23.5},
    )  # fmt: skip
    assert response.status_code == 201, response.text
    assert response.json()["salud"]["margen_promedio"] == 23.5
    assert salud(api, "margen")["margen_promedio"] == 23.5


def test_una_factura_sin_vencimiento_vence_a_los_30_dias(db: Backend, api: httpx.Client) -> None:
    """200 days unpaid with no due date was "paga bien"; now it is due 30 days after issue
    (CRM_PLAZO_PAGO_DIAS) and 170 days overdue."""
    db.clock.set(HOY)
    crear_cliente(api, "sin", "Sin Vencimiento S.L.")
    sin_fecha = factura("sv_1", cliente_id="sin", numero="2025/SV1", fecha_emision="2025-07-04",
                        fecha_vencimiento=None, base=1000, total=1210)  # fmt: skip
    importar(api, [sin_fecha])
    body = salud(api, "sin")
    assert body["facturas_vencidas"] == 1
    assert body["importe_vencido"] == 1210.0
    assert (
        "1 factura vencida con 1.210,00 € pendientes; la más antigua, 170 días después del "
        "vencimiento"
    ) in body["motivos"]
    exportada = api.get("/api/clientes/sin/exportar").json()["facturas"][0]
    assert exportada["fecha_vencimiento"] == "2025-08-03"
