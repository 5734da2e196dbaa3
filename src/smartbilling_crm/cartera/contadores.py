"""Checking and correcting the portfolio's running totals (`contadores_cartera`,
`cartera_por_fecha`) against the rows they summarise.

The database's triggers keep them exact on every write, so they drift only where triggers
do not run: PostgreSQL's TRUNCATE of a summarised table, a restore that copied some tables
and not others, a trigger dropped by hand. `smartbilling-crm verificar-cartera` recounts
every total from the rows (what the migration's backfill computes) and lists what differs;
`--reparar` adds to each total what it lacks.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import Date, bindparam, text
from sqlalchemy.orm import Session

from smartbilling_crm.kit.formato import euros
from smartbilling_crm.models import FECHA_SIN_VENCIMIENTO

_INACTIVOS = "('cliente_dormido', 'cliente_perdido')"
_SIN_VENCIMIENTO = f"'{FECHA_SIN_VENCIMIENTO.isoformat()}'"


def _cent(expr: str) -> str:
    return f"CAST(round(COALESCE({expr}, 0) * 100) AS BIGINT)"


_IMPORTE_OPORTUNIDAD = (
    "CASE WHEN r.estado = 'ganada' AND r.valor_ganado IS NOT NULL "
    "THEN r.valor_ganado ELSE r.monto_estimado END"
)

# Every total as the rows define it: (grupo, clave, numero, importe, ponderado). The same
# definitions as the triggers' and the migration's backfill (`2026-12-02-0620`).
_CONTADORES = [
    f"SELECT 'clientes', estado, count(*), CAST(sum({_cent('ltv')}) AS BIGINT), 0 "
    "FROM clientes_extended GROUP BY estado",
    *(
        f"SELECT 'ingresos', '{dias}', count(*), "
        f"CAST(COALESCE(sum({_cent(f'ingresos_esperados_{dias}_dias')}), 0) AS BIGINT), 0 "
        "FROM salud_cliente_extended"
        for dias in (30, 90)
    ),
    "SELECT 'deuda', 'total', count(*), "
    f"CAST(COALESCE(sum({_cent('pendiente')}), 0) AS BIGINT), 0 "
    "FROM facturas_ledger WHERE pendiente > 0",
    "SELECT 'alertas', severidad || '|' || tipo, count(*), 0, 0 "
    "FROM alertas_cliente GROUP BY severidad, tipo",
    f"SELECT 'oportunidades', r.estado, count(*), "
    f"CAST(sum({_cent(_IMPORTE_OPORTUNIDAD)}) AS BIGINT), "
    f"CAST(sum({_cent(_IMPORTE_OPORTUNIDAD)} * COALESCE(r.probabilidad_cierre, 0)) AS BIGINT) "
    "FROM oportunidades_extended r GROUP BY r.estado",
]
# (serie, fecha, numero, importe)
_POR_FECHA = [
    f"SELECT 'deuda', COALESCE(fecha_vencimiento, {_SIN_VENCIMIENTO}), count(*), "
    f"CAST(sum({_cent('pendiente')}) AS BIGINT) FROM facturas_ledger WHERE pendiente > 0 "
    f"GROUP BY COALESCE(fecha_vencimiento, {_SIN_VENCIMIENTO})",
    "SELECT 'esperada', sc.fecha_proxima_factura_esperada, count(*), 0 "
    "FROM salud_cliente_extended sc JOIN clientes_extended c ON c.id = sc.cliente_id "
    f"WHERE sc.fecha_proxima_factura_esperada IS NOT NULL AND c.estado NOT IN {_INACTIVOS} "
    "GROUP BY sc.fecha_proxima_factura_esperada",
]
Clave = tuple[str, str]
Cifras = tuple[int, ...]


@dataclass(frozen=True)
class Diferencia:
    """A total whose stored figures differ from the rows' (a missing row counts as zeros)."""

    tabla: str
    clave: Clave
    guardado: Cifras
    segun_filas: Cifras

    def describir(self) -> str:
        grupo, clave = self.clave
        ponderado = grupo == "oportunidades"
        return (
            f"{self.tabla} {grupo}/{clave}: guardado {_cifras(self.guardado, ponderado)}; "
            f"según las filas {_cifras(self.segun_filas, ponderado)}"
        )


@dataclass(frozen=True)
class Verificacion:
    contadores: int  # totals compared (non-zero on either side)
    diferencias: list[Diferencia]
    pendientes: int = 0  # PostgreSQL: committed deltas nobody folded (see `verificar`)


def _cifras(cifras: Cifras, ponderado: bool) -> str:
    """Count and amount (cents); the opportunities' weighted amount (cents × percent) too."""
    texto = f"{cifras[0]} · {euros(Decimal(cifras[1]) / 100)}"
    if ponderado:
        texto += f" (ponderado {euros(Decimal(cifras[2]) / 10_000)})"
    return texto


def _filas(session: Session, sentencias: list[str]) -> dict[Clave, Cifras]:
    """Rows of (grupo, clave, *figures) keyed by (grupo, clave as text), zeros left out."""
    filas: dict[Clave, Cifras] = {}
    for sentencia in sentencias:
        for grupo, clave, *cifras in session.execute(text(sentencia)):
            valores = tuple(int(c or 0) for c in cifras)
            previos = filas.get((str(grupo), str(clave)), (0,) * len(valores))
            filas[(str(grupo), str(clave))] = tuple(map(sum, zip(previos, valores, strict=True)))
    return {clave: cifras for clave, cifras in filas.items() if any(cifras)}


def _comparar(
    tabla: str, guardado: dict[Clave, Cifras], esperado: dict[Clave, Cifras]
) -> tuple[int, list[Diferencia]]:
    claves = sorted(guardado.keys() | esperado.keys())
    ancho = len(next(iter(esperado.values() or guardado.values()), ()))
    ceros = (0,) * ancho
    return len(claves), [
        Diferencia(tabla, c, guardado.get(c, ceros), esperado.get(c, ceros))
        for c in claves
        if guardado.get(c, ceros) != esperado.get(c, ceros)
    ]


def verificar(session: Session) -> Verificacion:
    """Compare every stored total with the rows' recount (in a `kit.db.instantanea`).

    On PostgreSQL a committed delta still in `contadores_pendientes` (the fold's trigger
    disabled by hand) counts as stored: the fold will add it once it runs again."""
    guardados = ["SELECT grupo, clave, numero, importe, ponderado FROM contadores_cartera"]
    por_fecha = ["SELECT serie, fecha, numero, importe FROM cartera_por_fecha"]
    pendientes = 0
    if session.get_bind().dialect.name == "postgresql":
        pendientes = session.execute(_PENDIENTES).scalar_one()
        guardados.append(
            "SELECT grupo, clave, sum(numero), sum(importe), COALESCE(sum(ponderado), 0) "
            "FROM contadores_pendientes WHERE fecha IS NULL GROUP BY grupo, clave"
        )
        por_fecha.append(
            "SELECT grupo, fecha, sum(numero), sum(importe) FROM contadores_pendientes "
            "WHERE fecha IS NOT NULL GROUP BY grupo, fecha"
        )
    n1, d1 = _comparar(
        "contadores_cartera", _filas(session, guardados), _filas(session, _CONTADORES)
    )
    n2, d2 = _comparar("cartera_por_fecha", _filas(session, por_fecha), _filas(session, _POR_FECHA))
    return Verificacion(contadores=n1 + n2, diferencias=d1 + d2, pendientes=pendientes)


def corregir(session: Session, diferencias: list[Diferencia]) -> None:
    """Add to each stored total what it lacks (`segun_filas - guardado`), in the caller's
    write transaction.

    A difference found in one snapshot stays the same after later writes: each commit moves
    a total and its rows together (the triggers), so what the triggers missed is a fixed
    offset. Adding it, rather than rewriting the tables, needs no lock on the summarised
    tables and commutes with the writes that commit meanwhile."""
    for d in diferencias:
        delta = [e - g for e, g in zip(d.segun_filas, d.guardado, strict=True)]
        if d.tabla == "contadores_cartera":
            session.execute(
                _SUMAR_CONTADOR,
                dict(zip(("grupo", "clave"), d.clave, strict=True))
                | dict(zip(("numero", "importe", "ponderado"), delta, strict=True)),
            )
        else:
            clave = {"serie": d.clave[0], "fecha": date.fromisoformat(d.clave[1])}
            session.execute(
                _SUMAR_POR_FECHA, clave | dict(zip(("numero", "importe"), delta, strict=True))
            )
            if d.clave[0] == "deuda":  # as the triggers: no row for a date with nothing open
                session.execute(_SIN_DEUDA, clave)


_SUMAR_CONTADOR = text(
    "INSERT INTO contadores_cartera (grupo, clave, numero, importe, ponderado) "
    "VALUES (:grupo, :clave, :numero, :importe, :ponderado) "
    "ON CONFLICT (grupo, clave) DO UPDATE SET "
    "numero = contadores_cartera.numero + excluded.numero, "
    "importe = contadores_cartera.importe + excluded.importe, "
    "ponderado = contadores_cartera.ponderado + excluded.ponderado"
)
_SUMAR_POR_FECHA = text(
    "INSERT INTO cartera_por_fecha (serie, fecha, numero, importe) "
    "VALUES (:serie, :fecha, :numero, :importe) "
    "ON CONFLICT (serie, fecha) DO UPDATE SET "
    "numero = cartera_por_fecha.numero + excluded.numero, "
    "importe = cartera_por_fecha.importe + excluded.importe"
).bindparams(bindparam("fecha", type_=Date()))
_SIN_DEUDA = text(
    "DELETE FROM cartera_por_fecha WHERE serie = :serie AND fecha = :fecha AND numero = 0"
).bindparams(bindparam("fecha", type_=Date()))
_PENDIENTES = text("SELECT count(*) FROM contadores_pendientes")
