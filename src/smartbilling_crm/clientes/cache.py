"""The client 360 as rendered bytes, kept per process while the client has not changed.

Every change to what the 360 shows (the client's fields, its contacts, timeline, pipeline,
ledger, health) touches the client (`Contexto.tocar`), and the unit of work's effect then
writes its health row, whose `version` goes up by one at every write (the daily recompute
and the first read of a day write it too). So a 360 built from a client whose health row
had version v on day d is still the client's 360 while that row's version is v and today
is d. A read checks that with one statement by primary key (`repository.marca_360`) and
answers the stored bytes; otherwise it builds the 360 and keeps its bytes.

A body is kept only if the stamp read after building it (in the building transaction)
equals the one read before (the check that found nothing kept): a change that committed
in between makes the next read build it again, never serve a body older than its stamp.
The client's creation instant and the row's last write are part of the stamp: an erased
client created again with the same id starts its health row's version over.

Bounded (`CRM_CACHE_360`, entries per process, least recently used out first; a body
over `MAX_BYTES` is not kept); 0 turns it off. An erased client's 360 (personal data) is
dropped by the worker that erased it and by any that looks it up; every entry of an
earlier day goes with the first 360 kept on a new day.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import date
from typing import Any


@dataclass(frozen=True)
class Marca:
    """What a 360's body depends on besides the day: the client's creation instant, its
    health row's write count and last write (the driver's values, compared as they come)."""

    creado: Any
    version: int
    escrito: Any


@dataclass(frozen=True)
class Cuerpo:
    """A rendered 360: the response's bytes and their entity tag."""

    contenido: bytes
    etag: str


# A 360 is about 5 KB; one with hundreds of contacts or open deals is built every time.
MAX_BYTES = 64 * 1024


def etiquetar(contenido: bytes) -> Cuerpo:
    """A rendered 360 with a strong entity tag from its digest."""
    return Cuerpo(contenido, '"' + hashlib.blake2b(contenido, digest_size=16).hexdigest() + '"')


def etag_coincide(if_none_match: str | None, etag: str) -> bool:
    """Whether an `If-None-Match` header names `etag` (RFC 9110 §13.1.2: weak comparison,
    a list of tags or `*`)."""
    if not if_none_match:
        return False
    etiquetas = [e.strip().removeprefix("W/") for e in if_none_match.split(",")]
    return "*" in etiquetas or etag in etiquetas


class Cache360:
    """Rendered 360s by client id, each with the stamp and day it was built at."""

    def __init__(self, capacidad: int) -> None:
        self.capacidad = capacidad
        self._entradas: OrderedDict[str, tuple[Marca, date, Cuerpo]] = OrderedDict()
        self._cerrojo = threading.Lock()  # reads run in worker threads

    def leer(self, cliente_id: str, marca: Marca, hoy: date) -> Cuerpo | None:
        with self._cerrojo:
            entrada = self._entradas.get(cliente_id)
            if entrada is None or entrada[0] != marca or entrada[1] != hoy:
                return None
            self._entradas.move_to_end(cliente_id)
            return entrada[2]

    def guardar(self, cliente_id: str, marca: Marca, hoy: date, cuerpo: Cuerpo) -> None:
        if self.capacidad <= 0 or len(cuerpo.contenido) > MAX_BYTES:
            return
        with self._cerrojo:
            self._entradas[cliente_id] = (marca, hoy, cuerpo)
            self._entradas.move_to_end(cliente_id)
            # The least recently read first: those of earlier days, then over capacity.
            while self._entradas and (
                len(self._entradas) > self.capacidad or next(iter(self._entradas.values()))[1] < hoy
            ):
                self._entradas.popitem(last=False)

    def olvidar(self, cliente_id: str) -> None:
        """Drop a client's 360 (an erased client)."""
        with self._cerrojo:
            self._entradas.pop(cliente_id, None)

    def vaciar(self) -> None:
        with self._cerrojo:
            self._entradas.clear()

    def __len__(self) -> int:
        return len(self._entradas)
