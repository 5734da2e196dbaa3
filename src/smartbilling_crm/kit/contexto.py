"""The unit of work: one session, the settings, "now", and the clients it changed.

A request (or a CLI command) builds one `Contexto`. A service that changes what a
client's health is computed from calls `ctx.tocar(cliente_id)`; when the work is done,
`confirmar()` runs the declared effects (the health refresh, wired in `main`) once per
touched client, inside the same transaction, before the commit. No service refreshes
health by hand.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy.orm import Session, sessionmaker

from smartbilling_crm.config import Settings
from smartbilling_crm.kit.db import lectura_en_pausa, transaction


class EscrituraNecesaria(Exception):
    """A read-only unit that may not open a writable one (`escribe_aparte=False`) needs to
    store something first: its caller runs the work again as a writer (`deps.EnUnidad`)."""


# An effect gets the touched clients (id -> "has a new purchase") of one round.
Efecto = Callable[["Contexto", Mapping[str, bool]], None]


@dataclass(eq=False)
class Contexto:
    """What one unit of work carries; built once per request."""

    session: Session
    settings: Settings
    now: datetime
    efectos: Sequence[Efecto] = ()
    # Where `aparte` opens its own unit of work, and whether this one may write (a GET's
    # may not).
    factory: sessionmaker[Session] | None = None
    read_only: bool = False
    # Whether `aparte` may open that unit; if not, it raises `EscrituraNecesaria`.
    escribe_aparte: bool = True
    _tocados: dict[str, bool] = field(default_factory=dict)
    _filas: list[object] = field(default_factory=list)
    _bloqueadas: dict[str, object] = field(default_factory=dict)
    _al_final: list[Callable[[], None]] = field(default_factory=list)

    @property
    def hoy(self) -> date:
        """Today in the business time zone."""
        return self.now.astimezone(self.settings.tz).date()

    def tocar(
        self,
        cliente_id: str,
        *,
        compra_nueva: bool = False,
        fila: object | None = None,
        bloqueada: bool = False,
    ) -> None:
        """Mark a client whose facts changed; its effects run once, at `confirmar`.

        `fila`, the client's row when the caller has it loaded, is held until then: the
        session's identity map is weak, and the effect would otherwise read it again.
        `bloqueada`: the caller locked that row in this transaction (SELECT ... FOR UPDATE,
        held until the commit), so an effect need not lock it again (`bloqueada()`)."""
        self._tocados[cliente_id] = self._tocados.get(cliente_id, False) or compra_nueva
        if fila is not None:
            self._filas.append(fila)
            if bloqueada:
                self._bloqueadas[cliente_id] = fila

    def bloqueada(self, cliente_id: str) -> object | None:
        """The client's row if this unit already holds it locked (`tocar(bloqueada=True)`)."""
        return self._bloqueadas.get(cliente_id)

    def tocado(self, cliente_id: str) -> bool:
        return cliente_id in self._tocados

    def al_final(self, cambio: Callable[[], None]) -> None:
        """Run `cambio` after the effects, just before the commit: an edit of a row the
        effects also write (a client's `fecha_actualizacion`) then goes out in their UPDATE,
        not in one of its own at the effects' first flush. What runs there touches no
        client: its effects have run."""
        self._al_final.append(cambio)

    def confirmar(self) -> None:
        """Run the effects for every touched client (again if an effect touches more), then
        the changes left for the end (`al_final`)."""
        while self._tocados:
            tocados, self._tocados = self._tocados, {}
            for efecto in self.efectos:
                efecto(self, tocados)
        for cambio in self._al_final:
            cambio()
        self._al_final.clear()
        self._filas.clear()
        self._bloqueadas.clear()

    @contextmanager
    def aparte(self) -> Iterator[Contexto]:
        """A separate, writable unit of work with this one's settings, clock and effects,
        committed when the block ends: how a read-only request stores something it must
        compute first (a client's health on the first read of a day). A read-only unit
        pauses meanwhile (`kit.db.lectura_en_pausa`), so it holds one connection at a time
        and sees the result afterwards."""
        if self.factory is None:
            raise RuntimeError("este contexto no sabe abrir otra unidad de trabajo")
        if not self.read_only:
            raise RuntimeError("una unidad que puede escribir escribe en su propia transacción")
        if not self.escribe_aparte:
            raise EscrituraNecesaria
        with (
            lectura_en_pausa(self.session),
            unidad_de_trabajo(self.factory, self.settings, self.now, self.efectos) as otro,
        ):
            yield otro


@contextmanager
def unidad_de_trabajo(
    factory: sessionmaker[Session],
    settings: Settings,
    now: datetime,
    efectos: Sequence[Efecto] = (),
    *,
    read_only: bool = False,
    escribe_aparte: bool = True,
) -> Iterator[Contexto]:
    """One transaction: yields the context, runs its effects, commits (rolls back on error)."""
    with transaction(factory, read_only=read_only) as session:
        ctx = Contexto(
            session=session,
            settings=settings,
            now=now,
            efectos=efectos,
            factory=factory,
            read_only=read_only,
            escribe_aparte=escribe_aparte,
        )
        yield ctx
        ctx.confirmar()
