"""The operator's commands, driven as a user would, through typer's runner."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from smartbilling_crm.cli import app

from .conftest import API_KEY, WEBHOOK_SECRET, Backend

runner = CliRunner()
COMMANDS = (
    "serve", "migrate", "demo", "recalcular", "importar-clientes", "exportar-clientes",
    "importar-facturas", "backup", "webhook-send", "usuarios", "verificar-cartera",
)  # fmt: skip


def _env(db: Backend, **extra: str) -> dict[str, str]:
    return {
        "DATABASE_URL": db.url,
        "CRM_ENV": "development",
        "CRM_API_KEYS": API_KEY,
        "CRM_WEBHOOK_SECRETS": WEBHOOK_SECRET,
        **extra,
    }


def test_help_explains_every_command() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in COMMANDS:
        assert command in result.output
        help_text = runner.invoke(app, [command, "--help"])
        assert help_text.exit_code == 0, command
        assert "Uso: " in help_text.output


def test_python_m_runs_the_same_commands() -> None:
    """Without the venv's scripts on the PATH: `python -m smartbilling_crm` (a module run as
    `__main__` once imported the commands' modules twice and failed on the cycle)."""
    salida = subprocess.run(
        [sys.executable, "-m", "smartbilling_crm", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert salida.returncode == 0, salida.stderr
    assert "smartbilling-crm" in salida.stdout
    for command in COMMANDS:
        assert command in salida.stdout


def test_migrate_brings_the_database_up_to_date(db: Backend) -> None:
    result = runner.invoke(app, ["migrate"], env=_env(db))
    assert result.exit_code == 0, result.output
    assert "al día" in result.output


def test_recalcular_recomputes_every_client(
    db: Backend, make_cliente: Any, api: httpx.Client
) -> None:
    for _ in range(4):
        make_cliente()
    with db.engine.begin() as conn:  # stale rows, as if days had passed
        conn.execute(text("UPDATE salud_cliente_extended SET fecha_calculo = NULL"))
    # Four batches for two worker processes: the pool runs whatever the machine's cores.
    result = runner.invoke(app, ["recalcular", "--lote", "1", "--procesos", "2"], env=_env(db))
    assert result.exit_code == 0, result.output
    assert "4 clientes recalculados" in result.output
    with db.engine.connect() as conn:
        pending = conn.execute(
            text("SELECT count(*) FROM salud_cliente_extended WHERE fecha_calculo IS NULL")
        ).scalar()
    assert pending == 0


def test_webhook_send_signs_and_delivers_an_invoice(db: Backend, make_cliente: Any) -> None:
    cliente = make_cliente(id="cli_send")
    args = [
        "webhook-send", "--url", db.server.base_url, "--id", "fac_cli_1", "--numero", "2026/0001",
        "--cliente-id", cliente["id"], "--fecha-emision", "2026-01-10",
        "--fecha-vencimiento", "2026-02-09", "--base", "1000.00", "--total", "1210.00",
    ]  # fmt: skip
    result = runner.invoke(app, args, env=_env(db))
    assert result.exit_code == 0, result.output
    assert "procesado" in result.output
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT numero FROM facturas_ledger")).scalar() == "2026/0001"


def test_webhook_send_sends_every_event_type(db: Backend, make_cliente: Any) -> None:
    """A partial payment, its return and a credit note, as the invoicing module sends them:
    the ledger reads what each one did."""
    cliente = make_cliente(id="cli_tipos")
    factura = [
        "webhook-send", "--url", db.server.base_url, "--cliente-id", cliente["id"],
        "--fecha-emision", "2026-01-10", "--fecha-vencimiento", "2026-02-09",
    ]  # fmt: skip
    original = [*factura, "--id", "fac_t1", "--numero", "2026/0101", "--base", "1000.00",
                "--total", "1210.00"]  # fmt: skip

    def enviar(*args: str) -> None:
        result = runner.invoke(app, list(args), env=_env(db))
        assert result.exit_code == 0, result.output
        assert '"procesado"' in result.output

    def pendiente(factura_id: str) -> Any:
        with db.engine.connect() as conn:
            return conn.execute(
                text("SELECT pendiente FROM facturas_ledger WHERE factura_id = :f"),
                {"f": factura_id},
            ).scalar()

    enviar(*original)
    enviar(*original, "--tipo", "factura.cobro", "--cobro-id", "cob_1",
           "--cobro-fecha", "2026-01-20", "--cobro-importe", "500.00")  # fmt: skip
    assert float(pendiente("fac_t1")) == 710.0
    enviar(*original, "--tipo", "factura.cobro_devuelto", "--cobro-id", "cob_1")
    assert float(pendiente("fac_t1")) == 1210.0
    enviar(*factura, "--id", "fac_t1_r", "--numero", "2026/R001", "--base", "-1000.00",
           "--total", "-1210.00", "--rectifica", "fac_t1")  # fmt: skip
    assert float(pendiente("fac_t1")) == 0.0
    enviar(*original, "--tipo", "factura.anulada")

    desconocido = runner.invoke(app, [*original, "--tipo", "factura.devuelta"], env=_env(db))
    assert desconocido.exit_code == 2  # a usage error, as a bad option is
    assert "Tipo de evento desconocido 'factura.devuelta'" in desconocido.output
    assert "factura.cobro_devuelto" in desconocido.output


def test_webhook_send_knows_the_webhooks_event_types() -> None:
    from typing import get_args

    from smartbilling_crm.cli import TIPOS_DE_EVENTO
    from smartbilling_crm.facturacion.schemas import TipoEvento

    assert set(TIPOS_DE_EVENTO) == set(get_args(TipoEvento))


def test_webhook_send_reports_a_refusal_with_a_non_zero_exit(
    db: Backend, make_cliente: Any
) -> None:
    args = [
        "webhook-send", "--url", db.server.base_url, "--id", "fac_x", "--numero", "X",
        "--cliente-id", "nadie", "--fecha-emision", "2026-01-10", "--base", "1", "--total", "1",
    ]  # fmt: skip
    result = runner.invoke(app, args, env=_env(db))
    assert result.exit_code == 1
    lineas = result.output.strip().splitlines()
    assert lineas[0].endswith("-> HTTP 422")
    # The service's Spanish detail on one line, not its problem+json body.
    assert lineas[1].startswith("Rechazado: ")
    assert "Cliente desconocido: el cliente_id 'nadie' no está en el CRM" in lineas[1]
    assert len(lineas) == 2


def test_serve_on_a_port_in_use_says_so_in_spanish(db: Backend) -> None:
    import socket

    with socket.socket() as ocupado:
        ocupado.bind(("127.0.0.1", 0))
        ocupado.listen()
        puerto = ocupado.getsockname()[1]
        result = runner.invoke(app, ["serve", "--port", str(puerto)], env=_env(db))
    assert result.exit_code == 2
    assert f"El puerto {puerto} de 127.0.0.1 ya está en uso" in result.output
    assert "CRM_PORT" in result.output


@pytest.mark.parametrize("puerto", ["99999", "0", "-1"])
def test_serve_on_a_port_that_cannot_be_says_so_in_spanish(db: Backend, puerto: str) -> None:
    """A port out of 1–65535 is bad input (2, one Spanish line), not an OverflowError's
    traceback from the socket (99999 used to be)."""
    result = runner.invoke(app, ["serve", "--port", puerto], env=_env(db))
    assert result.exit_code == 2
    assert "Valor no válido para '--port': debe ser" in result.output
    assert "Traceback" not in result.output and "Overflow" not in result.output


def test_webhook_send_to_nobody_says_so_in_spanish(db: Backend) -> None:
    import socket

    with socket.socket() as libre:  # a port nobody listens on once closed
        libre.bind(("127.0.0.1", 0))
        puerto = libre.getsockname()[1]
    args = [
        "webhook-send", "--url", f"http://127.0.0.1:{puerto}", "--id", "f", "--numero", "1",
        "--fecha-emision", "2026-01-10", "--base", "1", "--total", "1",
    ]  # fmt: skip
    result = runner.invoke(app, args, env=_env(db))
    assert result.exit_code == 2
    assert "nadie responde ahí (¿está el servidor en marcha?)" in result.output
    assert "Errno" not in result.output


@pytest.mark.parametrize("url", ["notaurl", "ftp://127.0.0.1", "http://"])
def test_webhook_send_to_something_that_is_no_web_address_says_so(db: Backend, url: str) -> None:
    args = [
        "webhook-send", "--url", url, "--id", "f", "--numero", "1",
        "--fecha-emision", "2026-01-10", "--base", "1", "--total", "1",
    ]  # fmt: skip
    result = runner.invoke(app, args, env=_env(db))
    assert result.exit_code == 2, result.output
    assert "no es una dirección web: escríbela como http://servidor:puerto" in result.output
    assert "missing" not in result.output and "protocol" not in result.output


def test_bad_production_settings_are_one_clear_line(db: Backend) -> None:
    result = runner.invoke(
        app,
        ["migrate"],
        env=_env(db, CRM_ENV="production", CRM_API_KEYS="", CRM_WEBHOOK_SECRETS=""),
    )
    assert result.exit_code == 2
    assert "configuración de producción rechazada: falta CRM_API_KEYS" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    ("variable", "valor", "mensaje"),
    [
        ("CRM_TIMEZONE", "Mars/Base", "CRM_TIMEZONE: zona horaria desconocida 'Mars/Base'"),
        ("CRM_TIMEZONE", "Europe", "CRM_TIMEZONE: zona horaria desconocida 'Europe'"),
        ("CRM_DIAS_DORMIDO", "0", "CRM_DIAS_DORMIDO: debe ser mayor o igual que 1"),
        ("CRM_PORT", "99999", "CRM_PORT: debe ser menor o igual que 65535"),
        ("CRM_WORKERS", "dos", "CRM_WORKERS: debe ser un número entero"),
    ],
)
def test_a_bad_setting_is_named_in_one_spanish_line(
    db: Backend, variable: str, valor: str, mensaje: str
) -> None:
    result = runner.invoke(app, ["migrate"], env=_env(db, **{variable: valor}))
    assert result.exit_code == 2
    assert result.output.strip() == f"Error: configuración no válida: {mensaje}" + (
        " (p. ej. Europe/Madrid)" if variable == "CRM_TIMEZONE" else ""
    )


@pytest.mark.parametrize(
    "command",
    [
        ["recalcular"],
        ["exportar-clientes", "-"],
        ["importar-clientes", "clientes.csv"],
        ["importar-facturas", "facturas.csv"],
        ["backup", "copia.db"],
    ],
)
def test_commands_that_read_data_refuse_a_missing_sqlite_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: list[str]
) -> None:
    monkeypatch.chdir(tmp_path)  # "outside the project folder"
    (tmp_path / "clientes.csv").write_text("nombre_empresa;email\n", encoding="utf-8")
    (tmp_path / "facturas.csv").write_text("id;numero\n", encoding="utf-8")
    env = {"DATABASE_URL": "sqlite:///./smartbilling.db", "CRM_ENV": "development"}

    result = runner.invoke(app, command, env=env)

    assert result.exit_code == 2, result.output
    assert "no existe la base de datos" in result.output
    assert "smartbilling.db" in result.output
    assert not (tmp_path / "smartbilling.db").exists()


def test_migrate_still_creates_the_sqlite_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    env = {"DATABASE_URL": "sqlite:///./nueva.db", "CRM_ENV": "development"}
    result = runner.invoke(app, ["migrate"], env=env)
    assert result.exit_code == 0, result.output
    assert (tmp_path / "nueva.db").exists()


def test_webhook_send_goes_to_crm_host_and_port(db: Backend, make_cliente: Any) -> None:
    cliente = make_cliente(id="cli_host")
    args = [
        "webhook-send", "--id", "fac_cli_h", "--numero", "2026/0002",
        "--cliente-id", cliente["id"], "--fecha-emision", "2026-01-10",
        "--base", "100.00", "--total", "121.00",
    ]  # fmt: skip
    env = _env(db, CRM_HOST="127.0.0.1", CRM_PORT=str(db.server.port))
    result = runner.invoke(app, args, env=env)
    assert result.exit_code == 0, result.output
    assert "procesado" in result.output
