"""Panel accounts from the operator's CLI: `smartbilling-crm usuarios crear|listar|desactivar`;
passwords stored as Argon2 hashes; the development user exists only in development."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from smartbilling_crm.cli import app
from smartbilling_crm.config import DEV_USER_EMAIL
from smartbilling_crm.kit.db import transaction
from smartbilling_crm.panel.limitador import Limitador
from smartbilling_crm.usuarios import service as usuarios_service

from ..conftest import API_KEY, WEBHOOK_SECRET, Backend, make_settings
from ..panel.conftest import entrar

runner = CliRunner()


def _env(db: Backend, **extra: str) -> dict[str, str]:
    return {
        "DATABASE_URL": db.url,
        "CRM_ENV": "development",
        "CRM_API_KEYS": API_KEY,
        "CRM_WEBHOOK_SECRETS": WEBHOOK_SECRET,
        **extra,
    }


def test_create_list_deactivate_from_the_cli(db: Backend, anon: httpx.Client) -> None:
    db.app.state.limitador_entrar = Limitador()
    creado = runner.invoke(
        app,
        ["usuarios", "crear", "Ana.Lopez@Empresa.es"],
        env=_env(db, CRM_USUARIO_CONTRASENA="una-clave-muy-larga"),
    )
    assert creado.exit_code == 0, creado.output
    assert "ana.lopez@empresa.es" in creado.output
    with db.engine.connect() as conn:
        guardado = conn.execute(
            text("SELECT hash_contrasena FROM usuarios WHERE email = 'ana.lopez@empresa.es'")
        ).scalar_one()
    assert guardado.startswith("$argon2id$") and "una-clave" not in guardado

    assert entrar(anon, "ana.lopez@empresa.es", "una-clave-muy-larga").status_code == 303

    listado = runner.invoke(app, ["usuarios", "listar"], env=_env(db))
    assert listado.exit_code == 0 and "ana.lopez@empresa.es\tactivo" in listado.output

    repetido = runner.invoke(
        app,
        ["usuarios", "crear", "ana.lopez@empresa.es"],
        env=_env(db, CRM_USUARIO_CONTRASENA="otra-clave-larga"),
    )
    assert repetido.exit_code == 2 and "Ya existe" in repetido.output

    baja = runner.invoke(app, ["usuarios", "desactivar", "ana.lopez@empresa.es"], env=_env(db))
    assert baja.exit_code == 0, baja.output
    assert anon.get("/").status_code == 303  # the open session is over
    anon.cookies.clear()
    assert entrar(anon, "ana.lopez@empresa.es", "una-clave-muy-larga").status_code == 401
    assert "Usuario desactivado: ana.lopez@empresa.es" in baja.output

    otra_vez = runner.invoke(app, ["usuarios", "desactivar", "Ana.Lopez@empresa.es"], env=_env(db))
    assert otra_vez.exit_code == 0, otra_vez.output
    assert "ya estaba desactivado" in otra_vez.output
    assert "Usuario desactivado" not in otra_vez.output

    nadie = runner.invoke(app, ["usuarios", "desactivar", "nadie@empresa.es"], env=_env(db))
    assert nadie.exit_code == 2 and "No hay ningún usuario" in nadie.output


def test_two_workers_starting_together_make_one_development_user(db: Backend) -> None:
    """`serve --workers 2` on a new PostgreSQL database: both workers look for the demo
    user, find none and create it; the second insert waited on the first one's and then
    broke its unique key, and that worker's start-up failed, taking the server down."""
    if db.name != "postgresql":
        pytest.skip("SQLite's writers take turns: the second finds the first one's user")
    db.truncate()
    settings = db.app.state.settings
    now = datetime.now(UTC)
    resultado: list[bool] = []
    with transaction(db.app.state.session_factory) as primero:
        assert usuarios_service.asegurar_usuario_demo(primero, settings, now)

        def segundo() -> None:
            with transaction(db.app.state.session_factory) as session:
                resultado.append(usuarios_service.asegurar_usuario_demo(session, settings, now))

        otro = threading.Thread(target=segundo)
        otro.start()
        otro.join(1)  # it waits on the first one's uncommitted insert
    otro.join(10)
    assert resultado == [False]
    assert [u.email for u in _usuarios(db)] == [DEV_USER_EMAIL]


def test_a_short_password_is_refused(db: Backend) -> None:
    corta = runner.invoke(
        app, ["usuarios", "crear", "x@empresa.es"], env=_env(db, CRM_USUARIO_CONTRASENA="corta")
    )
    assert corta.exit_code == 2 and "entre 10 y 200 caracteres" in corta.output


def test_the_password_is_asked_twice_without_the_variable(db: Backend) -> None:
    result = runner.invoke(
        app,
        ["usuarios", "crear", "eva@empresa.es"],
        env=_env(db),
        input="clave-de-eva-1\nclave-de-eva-1\n",
    )
    assert result.exit_code == 0, result.output
    assert "eva@empresa.es" in [u.email for u in _usuarios(db)]


def test_two_different_passwords_are_asked_again_in_spanish(db: Backend) -> None:
    result = runner.invoke(
        app,
        ["usuarios", "crear", "leo@empresa.es"],
        env=_env(db),
        input="clave-de-leo-1\notra-clave-9\nclave-de-leo-1\nclave-de-leo-1\n",
    )
    assert result.exit_code == 0, result.output
    assert "las dos contraseñas no coinciden" in result.output
    assert "do not match" not in result.output
    assert "leo@empresa.es" in [u.email for u in _usuarios(db)]


def test_without_a_terminal_or_a_password_it_says_so_in_spanish(db: Backend) -> None:
    """`usuarios crear x < /dev/null` (a script that forgot the variable): no English
    warning about echoing, a Spanish message and nothing created."""
    result = runner.invoke(app, ["usuarios", "crear", "sin@empresa.es"], env=_env(db), input="")
    assert result.exit_code == 2, result.output
    assert "No se ha recibido la contraseña" in result.output
    assert "Warning" not in result.output
    assert "sin@empresa.es" not in [u.email for u in _usuarios(db)]


def _usuarios(db: Backend) -> list[usuarios_service.UsuarioVista]:
    with transaction(db.app.state.session_factory) as session:
        return usuarios_service.listar(session)


def test_the_development_user_is_made_in_development_only(db: Backend) -> None:
    db.truncate()
    now = datetime.now(UTC)
    produccion = make_settings(
        db.url, CRM_ENV="production", CRM_SECRET_KEY="sk_Zq8Lr2Vw9Tx4Np7Hc3Jm6Bf1Gd5Ks0Ya",
        CRM_API_KEYS="k_8f2d7c6b5a4e3f2a1b0c9d8e7f6a5b4c",
        CRM_WEBHOOK_SECRETS="whsec_cHJvZHVjY2lvbi1zZWNyZXRvLTEyMzQ1Njc4OTA=",
    )  # fmt: skip
    with transaction(db.app.state.session_factory) as session:
        assert not usuarios_service.asegurar_usuario_demo(session, produccion, now)
    assert DEV_USER_EMAIL not in [u.email for u in _usuarios(db)]
    with transaction(db.app.state.session_factory) as session:
        assert usuarios_service.asegurar_usuario_demo(session, db.app.state.settings, now)
        assert not usuarios_service.asegurar_usuario_demo(session, db.app.state.settings, now)
    assert [u.email for u in _usuarios(db)] == [DEV_USER_EMAIL]
