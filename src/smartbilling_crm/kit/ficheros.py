"""The CLI's files: bounded reads and new files that never follow a symbolic link."""

from __future__ import annotations

import os
from pathlib import Path
from typing import IO

# The largest CSV the importers read (about 400,000 invoices or clients): a file is read
# whole and kept in memory, so anything bigger, or endless like /dev/zero, is refused.
MAX_CSV_BYTES = 64 * 1024 * 1024


class FicheroNoAdmitido(Exception):
    """The file cannot be used; the message says why, in Spanish."""


def leer_limitado(path: Path, limite: int = MAX_CSV_BYTES) -> bytes:
    """The bytes of `path`, refusing (without reading them all) anything over `limite`."""
    with open(path, "rb") as fichero:
        contenido = fichero.read(limite + 1)
    if len(contenido) > limite:
        raise FicheroNoAdmitido(
            f"{path} supera el máximo de {limite // (1024 * 1024)} MiB; divídelo en varios"
        )
    return contenido


def crear_nuevo(path: Path) -> IO[str]:
    """Open a new file for writing text; refuses an existing path and any symbolic link,
    dangling or not (O_EXCL never follows one; checked first for a clear message)."""
    if path.is_symlink():
        raise FicheroNoAdmitido(f"{path} es un enlace simbólico; elige otro destino")
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
    except FileExistsError as exc:
        raise FicheroNoAdmitido(f"{path} ya existe; elige otro nombre o bórralo antes") from exc
    return os.fdopen(fd, "w", encoding="utf-8", newline="")
