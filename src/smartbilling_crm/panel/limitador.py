"""Failed logins throttled per account and per client address (in memory, per process).

After `por_cuenta` failures for one email, or `por_direccion` from one address, within
`ventana` seconds, further attempts are refused without checking the password until the
oldest failure leaves the window. A good login clears the account's count.
"""

from __future__ import annotations

import threading
import time
from collections import deque


class Limitador:
    def __init__(self, por_cuenta: int = 5, por_direccion: int = 20, ventana: float = 900) -> None:
        self.por_cuenta = por_cuenta
        self.por_direccion = por_direccion
        self.ventana = ventana
        self._fallos: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _vigentes(self, clave: str, ahora: float) -> deque[float]:
        fallos = self._fallos.setdefault(clave, deque())
        while fallos and fallos[0] <= ahora - self.ventana:
            fallos.popleft()
        return fallos

    def espera(self, email: str, direccion: str) -> int:
        """Seconds until this account and address may try again (0 = now)."""
        ahora = time.monotonic()
        with self._lock:
            esperas = [0.0]
            for clave, limite in (
                ("cuenta:" + email.strip().lower(), self.por_cuenta),
                ("ip:" + direccion, self.por_direccion),
            ):
                fallos = self._vigentes(clave, ahora)
                if len(fallos) >= limite:
                    esperas.append(fallos[0] + self.ventana - ahora)
            return int(max(esperas)) + (1 if max(esperas) > 0 else 0)

    def fallo(self, email: str, direccion: str) -> None:
        ahora = time.monotonic()
        with self._lock:
            for clave in ("cuenta:" + email.strip().lower(), "ip:" + direccion):
                self._vigentes(clave, ahora).append(ahora)

    def exito(self, email: str) -> None:
        with self._lock:
            self._fallos.pop("cuenta:" + email.strip().lower(), None)
