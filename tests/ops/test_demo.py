"""`smartbilling-crm demo`: a portfolio where every lifecycle state and alert shows up."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
from sqlalchemy import text
from stdnum.es import nif as es_nif
from typer.testing import CliRunner

from smartbilling_crm.cli import app
from smartbilling_crm.models import Base
from smartbilling_crm.ops import demo
from smartbilling_crm.ops.demo_cartera import rol_de

from ..conftest import Backend
from ..test_cli import _env

runner = CliRunner()

ESTADOS = ("prospecto", "cliente_activo", "cliente_dormido", "vip", "cliente_perdido")
ALERTAS = {
    "factura_vencida",  # the overdue payer
    "riesgo_pago",
    "tendencia_pago",  # the worsening payer
    "oportunidad_estancada",
    "tarea_vencida",
    "cliente_dormido",
    "vip_dormido",
    "cif_nif_invalido",
    "sin_contacto_principal",
    "sin_contacto_financiero",
}
ETAPAS = ("identificada", "contactado", "presupuesto", "negociación", "ganada", "perdida")


def _recuentos(db: Backend) -> dict[str, int]:
    with db.engine.connect() as conn:
        return {
            t.name: conn.execute(text(f"SELECT count(*) FROM {t.name}")).scalar_one()
            for t in Base.metadata.sorted_tables
        }


def test_the_demo_shows_every_state_and_alert_and_a_second_run_adds_nothing(
    db: Backend, api: httpx.Client
) -> None:
    result = runner.invoke(app, ["demo"], env=_env(db))
    assert result.exit_code == 0, result.output
    assert f"{len(demo.CARTERA)} clientes creados" in result.output

    for estado in ESTADOS:
        body = api.get("/api/clientes/", params={"estado": estado}).json()
        assert body["total"] > 0, estado

    alertas = api.get("/api/alertas", params={"limit": 100}).json()
    assert alertas["total"] > 0
    tipos = {a["tipo"] for a in alertas["alertas"]}
    assert tipos >= ALERTAS, ALERTAS - tipos

    pipeline = api.get("/api/oportunidades/pipeline").json()
    etapas = {e["estado"]: e["numero"] for e in pipeline["etapas"]}
    assert all(etapas.get(etapa, 0) > 0 for etapa in ETAPAS), etapas

    moroso = api.get("/api/clientes/demo-mediterraneo").json()
    assert moroso["riesgo_impago"] == "critico"
    recomendaciones = api.get("/api/clientes/demo-cierzo/recomendaciones").json()
    assert "tendencia_pago" in {a["tipo"] for a in recomendaciones["alertas"]}
    ficha = api.get("/api/clientes/demo-ebro").json()
    assert ficha["estado"] == "vip"
    assert ficha["contactos"] and ficha["actividades_recientes"]
    assert ficha["salud"]["meses_como_cliente"] >= 23  # two years of history

    with db.engine.connect() as conn:
        contactos = conn.execute(text("SELECT nombre_completo, rol FROM contactos_extended"))
        for nombre, rol in contactos:
            assert rol == rol_de(rol, nombre), f"{nombre} ({rol})"

    antes = _recuentos(db)
    again = runner.invoke(app, ["demo"], env=_env(db))
    assert again.exit_code == 0, again.output
    assert f"0 clientes creados, {len(demo.CARTERA)} ya estaban" in again.output
    assert _recuentos(db) == antes


def test_demo_companies_have_valid_tax_ids_but_the_one_kept_wrong_on_purpose() -> None:
    hoy = datetime.now(UTC)
    vistos: set[str] = set()
    for empresa in demo.CARTERA:
        cif = demo._cif(empresa)
        assert es_nif.is_valid(cif) != empresa.cif_erroneo, (empresa.slug, cif)
        assert cif not in vistos
        vistos.add(cif)
    facturas = [f for e in demo.CARTERA for f in demo._planificar_facturas(e, hoy.date())]
    assert len({f["id"] for f in facturas}) == len(facturas)
    assert all(f["fecha_pago"] is None or f["fecha_pago"] <= hoy.date() for f in facturas)


def test_demo_roles_agree_with_the_persons_name() -> None:
    assert rol_de("Directora financiera", "Álvaro López Ruiz") == "Director financiero"
    assert rol_de("Director general", "Lucía Gil Ramos") == "Directora general"
    assert rol_de("Directora financiera", "Marta Gil Ramos") == "Directora financiera"
    assert rol_de("Contable", "Pablo Gil Ramos") == "Contable"
