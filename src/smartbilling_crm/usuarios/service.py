"""Panel accounts: create, list, deactivate, check a password; the development user.

Passwords are stored as Argon2id hashes (pwdlib's recommended settings); a hash made with
older parameters is upgraded on the next good login. An unknown email costs the same
hash check as a known one, so timing does not tell which emails have an account.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from pwdlib import PasswordHash
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from smartbilling_crm.config import DEV_USER_EMAIL, DEV_USER_PASSWORD, Settings
from smartbilling_crm.kit.excepciones import ConflictError, InvalidInputError, NotFoundError
from smartbilling_crm.models import Usuario
from smartbilling_crm.usuarios import repository as usuarios_repo

CONTRASENA_MIN = 10
CONTRASENA_MAX = 200


@dataclass(frozen=True)
class UsuarioVista:
    """What the panel and the CLI show of an account (never its hash)."""

    id: str
    email: str
    activo: bool
    fecha_creacion: datetime
    ultimo_acceso: datetime | None
    cierres_de_sesion: int = 0  # what a session opened now carries (`activo`)


def _vista(usuario: Usuario) -> UsuarioVista:
    return UsuarioVista(
        id=usuario.id,
        email=usuario.email,
        activo=usuario.activo,
        fecha_creacion=usuario.fecha_creacion,
        ultimo_acceso=usuario.ultimo_acceso,
        cierres_de_sesion=usuario.cierres_de_sesion or 0,
    )


@lru_cache(maxsize=1)
def _hasher() -> PasswordHash:
    return PasswordHash.recommended()


@lru_cache(maxsize=1)
def _hash_de_relleno() -> str:
    return _hasher().hash("nadie-usa-esta-contraseña")


_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")


def _plegar_email(email: str) -> str | None:
    """An account email, trimmed and lower-cased; None when it has no email shape.
    (Looser than the clients' check: internal domains such as `.local` are fine here.)"""
    email = email.strip().lower()
    return email if len(email) <= 254 and _EMAIL.match(email) else None


def normalizar_email(email: str) -> str:
    normalizado = _plegar_email(email)
    if normalizado is None:
        raise InvalidInputError(f"email no válido: {email!r}", field="email")
    return normalizado


def crear(session: Session, email: str, contrasena: str, now: datetime) -> UsuarioVista:
    """A new active account; 409 if the email has one, 422 for a short password."""
    email = normalizar_email(email)
    if not CONTRASENA_MIN <= len(contrasena) <= CONTRASENA_MAX:
        raise InvalidInputError(
            f"La contraseña debe tener entre {CONTRASENA_MIN} y {CONTRASENA_MAX} caracteres",
            field="contrasena",
        )
    if usuarios_repo.por_email(session, email) is not None:
        raise ConflictError(f"Ya existe un usuario con el email '{email}'")
    usuario = Usuario(
        email=email, hash_contrasena=_hasher().hash(contrasena), activo=True, fecha_creacion=now
    )
    usuarios_repo.guardar(session, usuario)
    return _vista(usuario)


def listar(session: Session) -> list[UsuarioVista]:
    return [_vista(u) for u in usuarios_repo.todos(session)]


def desactivar(session: Session, email: str) -> tuple[UsuarioVista, bool]:
    """The account can no longer log in, and its open sessions stop working. With whether
    it was active until now (False: it already was deactivated, nothing changed)."""
    usuario = usuarios_repo.por_email(session, normalizar_email(email))
    if usuario is None:
        raise NotFoundError(f"No hay ningún usuario con el email '{email}'")
    if not usuario.activo:
        return _vista(usuario), False
    usuario.activo = False
    usuarios_repo.guardar(session, usuario)
    return _vista(usuario), True


def autenticar(session: Session, email: str, contrasena: str, now: datetime) -> UsuarioVista | None:
    """The active account with this email and password, or None (whatever was wrong)."""
    plegado = _plegar_email(email)
    usuario = usuarios_repo.por_email(session, plegado) if plegado else None
    if usuario is None or len(contrasena) > CONTRASENA_MAX:
        _hasher().verify(contrasena[:CONTRASENA_MAX], _hash_de_relleno())
        return None
    correcta, nuevo_hash = _hasher().verify_and_update(contrasena, usuario.hash_contrasena)
    if not correcta or not usuario.activo:
        return None
    if nuevo_hash is not None:
        usuario.hash_contrasena = nuevo_hash
    usuario.ultimo_acceso = now
    usuarios_repo.guardar(session, usuario)
    return _vista(usuario)


def activo(session: Session, usuario_id: str, cierres: int = 0) -> UsuarioVista | None:
    """The account behind a session opened when it had been closed `cierres` times,
    while it is active and no "Salir" has closed its sessions since."""
    usuario = usuarios_repo.por_id(session, usuario_id)
    if usuario is None or not usuario.activo or (usuario.cierres_de_sesion or 0) != cierres:
        return None
    return _vista(usuario)


def cerrar_sesiones(session: Session, usuario_id: str) -> None:
    """ "Salir": every session of the account ends, copies of its cookie included (the
    session is a signed cookie: the browser's copy alone was cleared before)."""
    usuario = usuarios_repo.por_id(session, usuario_id)
    if usuario is not None:
        usuario.cierres_de_sesion = (usuario.cierres_de_sesion or 0) + 1
        usuarios_repo.guardar(session, usuario)


def asegurar_usuario_demo(session: Session, settings: Settings, now: datetime) -> bool:
    """In development only: the documented demo account exists (True if it was created).
    Production never creates it."""
    if settings.env != "development":
        return False
    if usuarios_repo.por_email(session, DEV_USER_EMAIL) is not None:
        return False
    try:
        with session.begin_nested():
            crear(session, DEV_USER_EMAIL, DEV_USER_PASSWORD, now)
    except IntegrityError:
        # Another worker of the same server (`serve --workers N`), starting at the same
        # moment on a new database, created it first: it exists, as asked.
        return False
    return True
