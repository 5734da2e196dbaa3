"""Deployment files agree with the code: docker-compose.yml, the Dockerfile and `make run`."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy.engine import make_url

from smartbilling_crm.config import Settings
from smartbilling_crm.kit.db import pool_por_proceso

ROOT = Path(__file__).resolve().parents[1]
# Variables the compose file may set that are not Settings: uvicorn's own.
AJENAS = {"FORWARDED_ALLOW_IPS"}
# What an operator would put in `.env` for production (none is a development value).
PRODUCCION = {
    "POSTGRES_PASSWORD": "pg-Kd93jfL2-secreto",
    "CRM_API_KEYS": "k_8f2d7c6b5a4e3f2a1b0c9d8e7f6a5b4c",
    "CRM_WEBHOOK_SECRETS": "whsec_cHJvZHVjY2lvbi1zZWNyZXRvLTEyMzQ1Njc4OTA=",
    "CRM_SECRET_KEY": "sk_Zq8Lr2Vw9Tx4Np7Hc3Jm6Bf1Gd5Ks0Ya",
}
_VARIABLE = re.compile(r"\$\{(\w+)(?:(:?[-?])([^}]*))?\}")


def _interpolar(value: str, env: dict[str, str]) -> str:
    """Compose's `${VAR}`, `${VAR:-default}` and `${VAR:?error}`; a missing required one fails."""

    def sustituir(match: re.Match[str]) -> str:
        nombre, operador, resto = match.groups()
        if env.get(nombre):
            return env[nombre]
        assert operador != ":?", f"{nombre} is required: {resto}"
        return resto if operador in (":-", "-") else ""

    return _VARIABLE.sub(sustituir, value)


def _compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return data


def _alias_de_settings() -> set[str]:
    return {f.alias for f in Settings.model_fields.values() if f.alias}


def test_compose_runs_the_api_and_postgresql_with_healthchecks_and_a_volume() -> None:
    compose = _compose()
    services = compose["services"]
    assert {"api", "postgres"} <= set(services)

    postgres = services["postgres"]
    assert postgres["image"].startswith("postgres:")
    assert "pg_isready" in " ".join(postgres["healthcheck"]["test"])
    volumen = postgres["volumes"][0].split(":")
    assert volumen[1] == "/var/lib/postgresql/data"
    assert volumen[0] in compose["volumes"]  # a named volume: data outlive the container

    api = services["api"]
    assert api["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert "/healthz" in " ".join(api["healthcheck"]["test"])
    assert api.get("restart") == "unless-stopped"
    # Published on loopback only: the reverse proxy is the way in.
    assert all(str(p).startswith("127.0.0.1:") for p in api["ports"])


def test_compose_environment_is_what_the_settings_read_and_production_accepts_it() -> None:
    services = _compose()["services"]
    entorno_api = services["api"]["environment"]
    desconocidas = set(entorno_api) - _alias_de_settings() - AJENAS
    assert not desconocidas, f"not read by Settings: {desconocidas}"

    valores = {k: _interpolar(str(v), PRODUCCION) for k, v in entorno_api.items()}
    assert valores["CRM_ENV"] == "production"
    settings = Settings(_env_file=None, **{k: v for k, v in valores.items() if k not in AJENAS})
    assert settings.env == "production"
    assert settings.migrate_on_start  # migrations on start

    url = make_url(settings.database_url)
    pg = {
        k: _interpolar(str(v), PRODUCCION) for k, v in services["postgres"]["environment"].items()
    }
    assert url.drivername == "postgresql+psycopg"
    assert url.host == "postgres"  # the compose service name
    assert (url.username, url.password, url.database) == (
        pg["POSTGRES_USER"],
        pg["POSTGRES_PASSWORD"],
        pg["POSTGRES_DB"],
    )


def test_compose_refuses_to_start_without_real_secrets() -> None:
    entorno_api = _compose()["services"]["api"]["environment"]
    for requerida in ("CRM_API_KEYS", "CRM_WEBHOOK_SECRETS", "CRM_SECRET_KEY"):
        assert re.search(r"\$\{" + requerida + r":\?", entorno_api[requerida]), requerida


def test_the_api_runs_several_workers() -> None:
    comando = [_interpolar(str(p), {}) for p in _compose()["services"]["api"]["command"]]
    assert comando[:2] == ["smartbilling-crm", "serve"]
    workers = int(comando[comando.index("--workers") + 1])
    assert workers > 1
    # Together the workers stay well inside PostgreSQL's 100 connections (issue 14.4).
    presupuesto = _interpolar(
        str(_compose()["services"]["api"]["environment"]["CRM_DB_MAX_CONEXIONES"]), {}
    )
    assert workers * pool_por_proceso(int(presupuesto), workers).maximo <= 50
    assert comando[comando.index("--host") + 1] == "0.0.0.0"  # reachable inside the network
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "HEALTHCHECK" in dockerfile and "--workers" in dockerfile


def test_make_run_still_serves_and_says_how_to_load_the_demo() -> None:
    # Under `make test` this is a sub-make: without MAKELEVEL/MAKEFLAGS and with
    # --no-print-directory it prints only the recipe, as a newcomer's `make -n run` would.
    entorno = {k: v for k, v in os.environ.items() if k not in ("MAKELEVEL", "MAKEFLAGS", "MFLAGS")}
    salida = subprocess.run(
        ["make", "--no-print-directory", "-n", "run"],
        cwd=ROOT,
        env=entorno,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "smartbilling-crm demo" in salida
    assert salida.rstrip().splitlines()[-1].endswith("smartbilling-crm serve")
