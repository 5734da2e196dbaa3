"""Domain errors that carry their HTTP status; `main` renders them as problem+json."""

from __future__ import annotations

from typing import Any


class ErrorDeCampo(ValueError):
    """A validator's error about one field that a model-level check finds (it depends on
    another field): raised in a `model_validator`, whose errors pydantic locates at the
    model, it names the field, relative to that model (`kit.errores.ruta`)."""

    def __init__(self, campo: str, mensaje: str) -> None:
        super().__init__(mensaje)
        self.campo = campo


class DomainError(Exception):
    """Base of every expected failure; `detail` is shown to the API user as is."""

    status_code = 400
    title = "Solicitud incorrecta"
    # Seconds the client should wait before retrying (a `Retry-After` header), if any.
    retry_after: int | None = None

    def __init__(self, detail: str, *, errors: list[dict[str, Any]] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors


class NotFoundError(DomainError):
    status_code = 404
    title = "No encontrado"


class ConflictError(DomainError):
    status_code = 409
    title = "Conflicto"


class InvalidInputError(DomainError):
    """422 for input that is well-formed JSON but breaks a business rule."""

    status_code = 422
    title = "Datos no válidos"

    def __init__(
        self,
        detail: str,
        *,
        field: str | None = None,
        errors: list[dict[str, Any]] | None = None,
    ) -> None:
        """`field`: the one field at fault; `errors`: several, each `campo`, `mensaje`, `tipo`."""
        if errors is None and field:
            errors = [{"campo": field, "mensaje": detail, "tipo": "regla_de_negocio"}]
        super().__init__(detail, errors=errors)


class UnauthorizedError(DomainError):
    status_code = 401
    title = "No autorizado"


class PayloadTooLargeError(DomainError):
    status_code = 413
    title = "Cuerpo demasiado grande"


class ServiceUnavailableError(DomainError):
    status_code = 503
    title = "Servicio no disponible"


class SinConexionError(ServiceUnavailableError):
    """Every database connection of this process's share of CRM_DB_MAX_CONEXIONES (or, for
    a hot read, every place of its lane, CRM_HILOS_LECTURA) stayed busy for
    CRM_DB_POOL_TIMEOUT_S: a burst, not an outage, so the client may retry soon."""

    MENSAJE = (
        "Demasiadas peticiones a la vez: todas las conexiones a la base de datos están "
        "ocupadas; inténtalo de nuevo en unos segundos"
    )
    MENSAJE_LECTURA = (
        "Demasiadas lecturas a la vez: esta ha esperado demasiado su turno; inténtalo de "
        "nuevo en unos segundos"
    )
    MENSAJE_ESCRITURA = (
        "Demasiadas escrituras a la vez: la base de datos atiende una detrás de otra y esta "
        "ha esperado demasiado su turno; inténtalo de nuevo en unos segundos"
    )
    retry_after = 2

    def __init__(self, mensaje: str = MENSAJE) -> None:
        super().__init__(mensaje)
