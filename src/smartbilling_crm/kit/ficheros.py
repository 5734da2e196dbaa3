"""The CLI's files: bounded reads and new files that never follow a symbolic link."""

from __future__ import annotations

import errno
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


# Why the system refused a file, in the CLI's language (`strerror` is the C library's,
# in English: "No such file or directory").
_MOTIVOS = {
    errno.ENOENT: "la carpeta no existe",
    errno.ENOTDIR: "una parte de la ruta no es una carpeta",
    errno.EISDIR: "es una carpeta",
    errno.EACCES: "no hay permiso",
    errno.EPERM: "no hay permiso",
    errno.EROFS: "el disco es de solo lectura",
    errno.ENOSPC: "no queda espacio en el disco",
    errno.EDQUOT: "se ha superado la cuota de disco",
    errno.ENAMETOOLONG: "el nombre es demasiado largo",
    errno.ELOOP: "demasiados enlaces simbólicos en la ruta",
}


def motivo(exc: OSError) -> str:
    """Why `exc` happened, in Spanish; the system's own words for anything unusual."""
    return _MOTIVOS.get(exc.errno or 0, exc.strerror or str(exc))
