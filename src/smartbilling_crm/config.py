"""Settings of contract §1, read from the environment and an optional `.env` file."""

from __future__ import annotations

import base64
import binascii
from functools import lru_cache
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# Development credentials, also written in `.env.example`. They only work with
# CRM_ENV=development; production refuses them.
DEV_API_KEY = "dev-crm-key-cambiame"
DEV_WEBHOOK_SECRET = "whsec_ZGV2LXdlYmhvb2stc2VjcmV0LWNhbWJpYW1lIQ=="
# Signs the panel's session cookie in development only.
DEV_SECRET_KEY = "dev-secret-key-del-panel-cambiame"
# The panel's development user (contract §9); production never creates it.
DEV_USER_EMAIL = "demo@smartbilling.local"
DEV_USER_PASSWORD = "demo-cambiame"
SECRET_KEY_MIN = 32

_PLACEHOLDER_MARKERS = ("cambiame", "changeme", "change-me", "placeholder", "example", "xxx")


def _split(value: str) -> list[str]:
    return [part for part in value.replace(",", " ").split() if part]


class Settings(BaseSettings):
    """One place for every setting; see the README's configuration table."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    database_url: str = Field("sqlite:///./smartbilling.db", alias="DATABASE_URL")
    api_keys_raw: str = Field("", alias="CRM_API_KEYS")
    webhook_secrets_raw: str = Field("", alias="CRM_WEBHOOK_SECRETS")
    secret_key_raw: str = Field("", alias="CRM_SECRET_KEY", repr=False)
    env: Literal["development", "production"] = Field("development", alias="CRM_ENV")
    timezone: str = Field("Europe/Madrid", alias="CRM_TIMEZONE")
    cors_origins_raw: str = Field("", alias="CRM_CORS_ORIGINS")
    dias_dormido: int = Field(60, ge=1, le=3650, alias="CRM_DIAS_DORMIDO")
    # An invoice sent without a due date is due this many days after issue (Ley 3/2004).
    plazo_pago_dias: int = Field(30, ge=0, le=365, alias="CRM_PLAZO_PAGO_DIAS")
    host: str = Field("127.0.0.1", alias="CRM_HOST")
    port: int = Field(8000, ge=1, le=65535, alias="CRM_PORT")
    migrate_on_start: bool = Field(True, alias="CRM_MIGRATE_ON_START")
    rate_limit_per_minute: int = Field(0, ge=0, le=1_000_000, alias="CRM_RATE_LIMIT_POR_MINUTO")
    sqlite_busy_timeout_ms: int = Field(5000, ge=0, le=600_000, alias="CRM_SQLITE_BUSY_TIMEOUT_MS")
    # The pages of a SQLite file a server process keeps in memory, all its connections
    # together (`kit.db.create_db_engine`).
    sqlite_cache_mb: int = Field(32, ge=2, le=65_536, alias="CRM_SQLITE_CACHE_MB")
    db_connect_timeout_s: int = Field(5, ge=1, le=120, alias="CRM_DB_CONNECT_TIMEOUT_S")
    db_statement_timeout_s: int = Field(8, ge=1, le=600, alias="CRM_DB_STATEMENT_TIMEOUT_S")
    # The connection budget: every server process (`CRM_WORKERS` of them) gets an equal
    # share of `CRM_DB_MAX_CONEXIONES` for its pool, so together they never open more.
    workers: int = Field(1, ge=1, le=64, alias="CRM_WORKERS")
    db_max_conexiones: int = Field(30, ge=1, le=10_000, alias="CRM_DB_MAX_CONEXIONES")
    # How long a request waits for a free pooled connection before answering 503.
    db_pool_timeout_s: float = Field(2.0, gt=0, le=60, alias="CRM_DB_POOL_TIMEOUT_S")
    # How many of the hot reads (`deps.EnUnidad` on GET) a worker runs in threads at once.
    hilos_lectura: int = Field(2, ge=1, le=64, alias="CRM_HILOS_LECTURA")
    # How many rendered client 360s a worker keeps (`clientes.cache`); 0: none.
    cache_360: int = Field(2000, ge=0, le=1_000_000, alias="CRM_CACHE_360")

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        # ZoneInfo raises KeyError (ZoneInfoNotFoundError) for an unknown zone and OSError
        # for a folder of zones or an overlong name, which pydantic does not turn into a
        # validation error: say it as one, in Spanish.
        try:
            ZoneInfo(value)
        except (ValueError, KeyError, OSError):  # OSError: "Europe", a folder of zones
            raise ValueError(f"zona horaria desconocida {value!r} (p. ej. Europe/Madrid)") from None
        return value

    @property
    def api_keys(self) -> list[str]:
        keys = _split(self.api_keys_raw)
        if not keys and self.env == "development":
            return [DEV_API_KEY]
        return keys

    @property
    def webhook_secrets(self) -> list[str]:
        secrets = _split(self.webhook_secrets_raw)
        if not secrets and self.env == "development":
            return [DEV_WEBHOOK_SECRET]
        return secrets

    @property
    def secret_key(self) -> str:
        """Signs the panel's session cookies; a development default outside production."""
        if not self.secret_key_raw and self.env == "development":
            return DEV_SECRET_KEY
        return self.secret_key_raw

    @property
    def cors_origins(self) -> list[str]:
        return _split(self.cors_origins_raw)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @model_validator(mode="after")
    def _webhook_secrets_decode(self) -> Settings:
        """In every environment: a secret that is not `whsec_<base64>` would make every
        webhook a 500 (even those signed with a good secret), so the service does not start.
        The entry is named by its position (and length), never by its content."""
        secretos = _split(self.webhook_secrets_raw)
        problems = [
            f"la entrada {n} de {len(secretos)} ({len(secreto)} caracteres) "
            "no es whsec_<base64> con contenido"
            for n, secreto in enumerate(secretos, start=1)
            if not _decodifica(secreto)
        ]
        if problems:
            raise ValueError("CRM_WEBHOOK_SECRETS inválido: " + "; ".join(problems))
        return self

    @model_validator(mode="after")
    def _budget_covers_every_worker(self) -> Settings:
        if self.db_max_conexiones < self.workers:
            raise ValueError(
                f"CRM_DB_MAX_CONEXIONES ({self.db_max_conexiones}) es menor que CRM_WORKERS "
                f"({self.workers}): cada proceso necesita al menos una conexión"
            )
        return self

    @model_validator(mode="after")
    def _production_needs_real_secrets(self) -> Settings:
        if self.env != "production":
            return self
        problems = []
        for name, values in (
            ("CRM_API_KEYS", self.api_keys),
            ("CRM_WEBHOOK_SECRETS", self.webhook_secrets),
        ):
            if not values:
                problems.append(f"falta {name}")
            elif any(_is_placeholder(v) for v in values):
                problems.append(f"{name} lleva un valor de ejemplo o de desarrollo")
        if not self.secret_key:
            problems.append("falta CRM_SECRET_KEY")
        elif _is_placeholder(self.secret_key) or len(self.secret_key) < SECRET_KEY_MIN:
            problems.append(
                f"CRM_SECRET_KEY debe ser un valor aleatorio de al menos {SECRET_KEY_MIN} "
                "caracteres"
            )
        if any(len(key) < 24 for key in self.api_keys):
            problems.append("CRM_API_KEYS: cada clave debe tener al menos 24 caracteres")
        if problems:
            raise ValueError("configuración de producción rechazada: " + "; ".join(problems))
        return self


def _decodifica(secreto: str) -> bool:
    try:
        return bool(base64.b64decode(secreto.removeprefix("whsec_"), validate=True))
    except (binascii.Error, ValueError):
        return False


def _is_placeholder(value: str) -> bool:
    lowered = value.lower()
    return value in (DEV_API_KEY, DEV_WEBHOOK_SECRET, DEV_SECRET_KEY) or any(
        marker in lowered for marker in _PLACEHOLDER_MARKERS
    )


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings (tests build their own `Settings`)."""
    return Settings()
