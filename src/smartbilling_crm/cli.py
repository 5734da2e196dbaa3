"""The operator's commands: `smartbilling-crm serve`, `migrate`, `demo`, CSV, backups..."""

from __future__ import annotations

import json
import os
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape
from rich.progress import Progress

from smartbilling_crm.cli_es import ComandoEs, GrupoEs
from smartbilling_crm.config import DEV_API_KEY, DEV_USER_EMAIL, DEV_USER_PASSWORD, Settings
from smartbilling_crm.kit.formato import cantidad

# What a command needs is imported when it runs, not here: `smartbilling-crm --help` and
# the light commands do not pay for the web stack, the engines and the CSV validators
# (2.3 s of imports on this machine; `recalcular` still imports the engines it runs).
if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

    from smartbilling_crm.kit.contexto import Contexto

# Every group and command is built with cli_es's classes: typer's own text in Spanish.
app = typer.Typer(
    cls=GrupoEs,
    help="SmartBilling CRM: el servidor y las tareas del operador.",
    no_args_is_help=True,
)
# soft_wrap: messages carry paths and URLs an operator copies; never break them at 80 columns.
# Text from files and the database is printed literally: no emoji codes (":x:") and
# every interpolated value goes through `_e` (rich.markup.escape), so "[/red]" or
# "[link=...]" in a CSV cell can neither crash nor restyle the output.
console = Console(stderr=True, soft_wrap=True, emoji=False, highlight=False)
_e = escape


@app.command(cls=ComandoEs)
def serve(
    host: Annotated[
        str | None, typer.Option(help="Dirección (por defecto CRM_HOST, 127.0.0.1)")
    ] = None,
    port: Annotated[
        int | None,
        typer.Option(min=1, max=65535, help="Puerto (por defecto CRM_PORT, 8000)"),
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(min=1, max=64, help="Procesos de uvicorn (por defecto CRM_WORKERS, 1)"),
    ] = None,
) -> None:
    """Arranca la API (aplica las migraciones al arrancar)."""
    import uvicorn

    from smartbilling_crm.kit.db import pool_por_proceso

    if workers is not None:
        # Each worker process reads its settings afresh: it must know how many share the
        # connection budget (CRM_DB_MAX_CONEXIONES) to take only its part.
        os.environ["CRM_WORKERS"] = str(workers)
    settings = _settings()
    host = host or settings.host
    port = port or settings.port
    workers = settings.workers
    pool = pool_por_proceso(settings.db_max_conexiones, workers)
    _puerto_libre(host, port)
    console.print(f"SmartBilling CRM en http://{host}:{port}")
    console.print(f"Panel: http://{host}:{port}/  ·  API: http://{host}:{port}/docs")
    if settings.env == "development":
        console.print(f"Usuario de desarrollo del panel: {DEV_USER_EMAIL} / {DEV_USER_PASSWORD}")
    if settings.env == "development" and settings.api_keys == [DEV_API_KEY]:
        console.print(f"Clave de desarrollo para el botón Authorize: [bold]{DEV_API_KEY}[/bold]")
    console.print(
        f"{workers} proceso(s) × hasta {pool.maximo} conexiones a la base de datos "
        f"(CRM_DB_MAX_CONEXIONES={settings.db_max_conexiones})"
    )
    uvicorn.run(
        "smartbilling_crm.main:app",
        host=host,
        port=port,
        workers=workers,
        proxy_headers=True,
        # The app logs one JSON line per request itself, without query strings.
        access_log=False,
        # uvicorn kills a worker that does not answer its supervisor's ping within 5 s; a
        # worker starting on a loaded machine, or waiting for another's migration lock,
        # can take longer, and was killed mid-start (seen with 2 workers at load 10).
        timeout_worker_healthcheck=30,
    )


@app.command(cls=ComandoEs)
def migrate() -> None:
    """Aplica las migraciones pendientes a DATABASE_URL y termina."""
    from smartbilling_crm.kit.db import migrate as run_migrations

    settings = _settings()
    run_migrations(settings.database_url)
    console.print("[green]Base de datos al día.[/green]")


def _puerto_libre(host: str, port: int) -> None:
    """Refuse, in Spanish and before anything starts, an address the server could not
    listen on (uvicorn would say it in English, after the migrations, with exit code 3)."""
    import errno
    import socket

    try:
        familia = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
        with socket.socket(familia, socket.SOCK_STREAM) as prueba:
            prueba.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
            prueba.bind((host, port))
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            _fail(
                f"El puerto {port} de {host} ya está en uso (¿hay otro servidor en marcha?): "
                "para este, usa otro con CRM_PORT o --port"
            )
        _fail(f"No se puede escuchar en {host}:{port} ({exc.strerror or exc})")


# The webhook's event types (`facturacion.schemas.TipoEvento`; a test keeps them equal),
# spelled here so that `--help` does not import the schemas.
TIPOS_DE_EVENTO = (
    "factura.emitida",
    "factura.pagada",
    "factura.anulada",
    "factura.cobro",
    "factura.cobro_devuelto",
)


@app.command("webhook-send", cls=ComandoEs)
def webhook_send(
    factura_id: Annotated[str, typer.Option("--id", help="Id de la factura en SmartBilling")],
    numero: Annotated[str, typer.Option(help="Número visible, p. ej. 2025/0123")],
    total: Annotated[str, typer.Option(help="Total con IVA, p. ej. 2500.00")],
    base: Annotated[str, typer.Option(help="Base imponible, p. ej. 2066.12")],
    fecha_emision: Annotated[str, typer.Option(help="AAAA-MM-DD")],
    tipo: Annotated[str, typer.Option(help=" | ".join(TIPOS_DE_EVENTO))] = "factura.emitida",
    cliente_id: Annotated[str | None, typer.Option(help="Id del cliente en SmartBilling")] = None,
    cif_nif: Annotated[str | None, typer.Option(help="CIF/NIF del cliente")] = None,
    fecha_vencimiento: Annotated[str | None, typer.Option(help="AAAA-MM-DD")] = None,
    fecha_pago: Annotated[
        str | None, typer.Option(help="AAAA-MM-DD (obligatoria si pagada)")
    ] = None,
    url: Annotated[
        str | None, typer.Option(help="URL del CRM (por defecto http://CRM_HOST:CRM_PORT)")
    ] = None,
    webhook_id: Annotated[
        str | None, typer.Option(help="webhook-id; por defecto uno nuevo (reenviar = repetirlo)")
    ] = None,
    secreto: Annotated[
        str | None, typer.Option(help="whsec_...; por defecto el primero de CRM_WEBHOOK_SECRETS")
    ] = None,
    rectifica: Annotated[
        str | None,
        typer.Option(help="Rectificativa (importes negativos): id de la factura que corrige"),
    ] = None,
    cobro_id: Annotated[
        str | None,
        typer.Option(help="factura.cobro y factura.cobro_devuelto: id del cobro"),
    ] = None,
    cobro_fecha: Annotated[
        str | None, typer.Option(help="factura.cobro: AAAA-MM-DD del cobro")
    ] = None,
    cobro_importe: Annotated[
        str | None, typer.Option(help="factura.cobro: importe cobrado, p. ej. 500.00")
    ] = None,
) -> None:
    """Firma y envía un evento de factura al webhook, como lo hará el módulo de facturación.

    Cualquier tipo de evento: emitida (y una rectificativa, con --rectifica), pagada,
    cobro parcial y cobro devuelto (con --cobro-id...), anulada.
    """
    import httpx

    from smartbilling_crm.facturacion import firma

    if tipo not in TIPOS_DE_EVENTO:
        _fail(f"Tipo de evento desconocido '{tipo}': se admite {' | '.join(TIPOS_DE_EVENTO)}")
    settings = _settings()
    url = url or _url_del_crm(settings)
    evento: dict[str, Any] = {
        "tipo": tipo,
        "factura": {
            "id": factura_id,
            "numero": numero,
            "cliente_id": cliente_id,
            "cif_nif": cif_nif,
            "fecha_emision": fecha_emision,
            "fecha_vencimiento": fecha_vencimiento,
            "base_imponible": base,
            "total": total,
            "moneda": "EUR",
            "fecha_pago": fecha_pago,
            "rectifica": rectifica,
        },
    }
    if cobro_id is not None:
        # Only what was given: a return names just the payment (the service says what is missing).
        cobro = {"id": cobro_id, "fecha": cobro_fecha, "importe": cobro_importe}
        evento["cobro"] = {k: v for k, v in cobro.items() if v is not None}
    body = json.dumps(evento, ensure_ascii=False).encode()
    secret = secreto or (settings.webhook_secrets[0] if settings.webhook_secrets else None)
    if not secret:
        _fail("No hay secreto: pasa --secreto o define CRM_WEBHOOK_SECRETS")
    msg_id = webhook_id or f"msg_{uuid.uuid4().hex}"
    timestamp = int(time.time())
    try:
        signature = firma.firmar(secret, msg_id, timestamp, body)
    except ValueError as exc:
        _fail(str(exc))
    headers = {
        "content-type": "application/json",
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature,
    }
    try:
        response = httpx.post(
            url.rstrip("/") + "/api/webhooks/facturas", content=body, headers=headers, timeout=30
        )
    except httpx.ConnectError:
        _fail(f"No se pudo conectar con {url}: nadie responde ahí (¿está el servidor en marcha?)")
    except httpx.TimeoutException:
        _fail(f"{url} no ha respondido en 30 s")
    except (httpx.UnsupportedProtocol, httpx.InvalidURL):
        _fail(f"'{url}' no es una dirección web: escríbela como http://servidor:puerto")
    except httpx.HTTPError as exc:
        _fail(f"No se pudo conectar con {url}: {exc}")
    console.print(f"webhook-id {_e(msg_id)} -> HTTP {response.status_code}")
    if response.status_code < 300:
        print(response.text)  # the result as JSON, for a script
        return
    # A refusal: its Spanish `detail` on one line (the service answers problem+json).
    try:
        detalle = str(response.json()["detail"])
    except (ValueError, KeyError, TypeError):  # not the CRM's answer (a proxy's page...)
        detalle = " ".join(response.text.split())[:300] or response.reason_phrase
    console.print(f"[red]Rechazado:[/red] {_e(detalle)}")
    raise typer.Exit(1)


@app.command("demo", cls=ComandoEs)
def demo_command() -> None:
    """Carga una cartera de demostración (unas 30 empresas españolas).

    Con contactos, dos años de facturas y pagos, actividades y oportunidades, de modo que
    aparecen todos los estados (prospecto, activo, dormido, VIP, perdido) y las alertas.
    Ejecutarla dos veces no duplica nada: los clientes de la demo que ya existen se dejan
    como están.
    """
    from smartbilling_crm.ops import demo

    settings = _settings()
    with (
        _unidad(settings, crea=True) as ctx,
        _progreso("Creando la cartera de demostración") as avance,
    ):
        resultado = demo.construir(ctx, progreso=avance)
    for omitido in resultado.omitidos:
        console.print(f"[yellow]Omitido[/yellow] {_e(str(omitido))}")
    console.print(
        "[green]Cartera de demostración lista:[/green] "
        f"{cantidad(resultado.creados, 'cliente creado', 'clientes creados')}, "
        f"{resultado.existentes} ya estaban."
    )
    console.print(
        f"Ábrela en el panel, {_url_del_crm(settings)} (o en la API: /docs, p. ej. "
        "GET /api/alertas, o el cliente demo-mediterraneo y sus /recomendaciones)."
    )


@contextmanager
def _fabrica(settings: Settings, *, crea: bool = False) -> Iterator[sessionmaker[Session]]:
    """A migrated database and a session factory on it. Only a command that `crea` may
    start a SQLite file that is not there."""
    from sqlalchemy.exc import OperationalError

    from smartbilling_crm.kit.db import create_db_engine, create_session_factory
    from smartbilling_crm.kit.db import migrate as run_migrations

    if not crea:
        _exigir_base(settings)
    try:
        run_migrations(settings.database_url)
        engine = create_db_engine(
            settings.database_url,
            busy_timeout_ms=settings.sqlite_busy_timeout_ms,
            connect_timeout_s=settings.db_connect_timeout_s,
        )
    except OperationalError as exc:
        _fail(f"No se pudo usar la base de datos: {exc.orig}")
    try:
        yield create_session_factory(engine)
    except OperationalError as exc:
        _fail(f"No se pudo usar la base de datos: {exc.orig}")
    finally:
        engine.dispose()


@contextmanager
def _unidad(settings: Settings, *, crea: bool = False) -> Iterator[Contexto]:
    """A migrated database and one unit of work (as a request has): its effects run and it
    is committed at the end of the block, rolled back if it raises."""
    from smartbilling_crm.kit.contexto import unidad_de_trabajo
    from smartbilling_crm.salud import service as salud_service

    with (
        _fabrica(settings, crea=crea) as factory,
        unidad_de_trabajo(
            factory, settings, datetime.now(UTC), (salud_service.refrescar_tocados,)
        ) as ctx,
    ):
        yield ctx


@contextmanager
def _progreso(descripcion: str) -> Iterator[Callable[[int, int], None]]:
    """A progress bar on stderr; yields the callback the services call with (done, total)."""
    with Progress(console=console, transient=False) as progress:
        tarea = progress.add_task(descripcion, total=None)

        def avance(hecho: int, total: int) -> None:
            progress.update(tarea, completed=hecho, total=total)

        yield avance


def _exigir_base(settings: Settings) -> None:
    """Refuse (exit 2) to read a SQLite file that does not exist: run from the wrong folder,
    the command would otherwise create an empty database and report zero rows."""
    from smartbilling_crm.kit.db import sqlite_file

    fichero = sqlite_file(settings.database_url)
    if fichero is not None and not fichero.exists():
        _fail(
            f"no existe la base de datos {fichero} (DATABASE_URL={settings.database_url}). "
            "Ejecuta la orden en la carpeta del proyecto, o fija DATABASE_URL; para crear "
            "una base nueva, `smartbilling-crm migrate`."
        )


def _url_del_crm(settings: Settings) -> str:
    """Where `serve` listens with these settings (CRM_HOST, CRM_PORT)."""
    host = "127.0.0.1" if settings.host in ("0.0.0.0", "::", "") else settings.host
    return f"http://{host}:{settings.port}"


def _settings() -> Settings:
    # Read afresh on every command (not the cached process settings), and say what is
    # wrong in one line instead of a traceback.
    from smartbilling_crm.kit.schemas import ZONA_NEGOCIO

    try:
        settings = Settings()
    except ValidationError as exc:
        _fail("configuración no válida: " + _errores_de_configuracion(exc))
    ZONA_NEGOCIO.set(settings.tz)  # naive dates in CSV files are read in this zone
    return settings


def _errores_de_configuracion(exc: ValidationError) -> str:
    """Each wrong setting as "VARIABLE: what is wrong", in Spanish (the API's own wording of
    pydantic's errors); a rule across several variables names them itself."""
    from smartbilling_crm.kit.errores import mensaje_es

    return "; ".join(
        ".".join(str(parte) for parte in e["loc"]) + ": " + mensaje_es(e)
        if e["loc"]
        else mensaje_es(e)
        for e in exc.errors()
    )


def _fail(message: str) -> NoReturn:
    console.print(f"[red]Error:[/red] {_e(message)}")
    raise typer.Exit(2)


# Commands in their own modules (they use the helpers above): the panel's accounts, the
# backups, the recompute, the dashboard's check and the CSV files.
from smartbilling_crm.cli_cartera import verificar_cartera  # noqa: E402
from smartbilling_crm.cli_copias import backup  # noqa: E402
from smartbilling_crm.cli_csv import (  # noqa: E402
    exportar_clientes,
    importar_clientes,
    importar_facturas,
)
from smartbilling_crm.cli_recalculo import recalcular  # noqa: E402
from smartbilling_crm.cli_usuarios import usuarios_app  # noqa: E402

app.add_typer(usuarios_app, name="usuarios")
app.command("backup", cls=ComandoEs)(backup)
app.command("recalcular", cls=ComandoEs)(recalcular)
app.command("verificar-cartera", cls=ComandoEs)(verificar_cartera)
app.command("exportar-clientes", cls=ComandoEs)(exportar_clientes)
app.command("importar-clientes", cls=ComandoEs)(importar_clientes)
app.command("importar-facturas", cls=ComandoEs)(importar_facturas)
