"""canonical tax ids and emails: one spelling per company and address

`B29884624` and `ESB29884624` (the same CIF in EU VAT form), or `ﬁle@x.es` and
`file@x.es` (a Unicode compatibility ligature; fullwidth letters likewise), were two
clients. New values are stored in canonical form (NFKC; uppercase tax ids without
separators and without the ES prefix of a Spanish id; lower-case emails), so the unique
constraints compare like with like. This revision rewrites the rows stored before it.

Rows that already collide once canonical (two clients holding one CIF in two spellings)
are not merged: they are left as they are and each group is logged, for a person to
decide. The rewrite cannot be undone (the old spellings are not kept); downgrade is a no-op.

Revision ID: 9a4c2e7f1d63
Revises: c7e1d5a09b42
Create Date: 2026-12-01 23:40:00.000000+00:00
"""

import logging
import re
import unicodedata
from collections import defaultdict
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "9a4c2e7f1d63"
down_revision: str | None = "c7e1d5a09b42"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

log = logging.getLogger("alembic.runtime.migration")

# As in kit/validators.py at this revision (a revision must not change with the app).
_SPANISH_SHAPE = re.compile(
    r"^(\d{8}[A-Z]|[XYZ]\d{7}[A-Z]|[KLM]\d{7}[A-Z]|[A-HJ-NP-SUVW]\d{7}[0-9A-J])$"
)
BUSQUEDA_MAX = 600


def _cif(value: str) -> str:
    compact = re.sub(r"[\s.\-/]", "", unicodedata.normalize("NFKC", value)).upper()
    if compact.startswith("ES") and _SPANISH_SHAPE.match(compact[2:]):
        return compact[2:]
    return compact


def _email(value: str) -> str:
    return unicodedata.normalize("NFKC", value).strip().lower()


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def upgrade() -> None:
    conn = op.get_bind()
    clientes = sa.table(
        "clientes_extended",
        sa.column("id"),
        sa.column("nombre_empresa"),
        sa.column("email"),
        sa.column("cif_nif"),
        sa.column("busqueda"),
        sa.column("fecha_creacion"),
    )
    filas = conn.execute(
        sa.select(
            clientes.c.id, clientes.c.nombre_empresa, clientes.c.email, clientes.c.cif_nif
        ).order_by(clientes.c.fecha_creacion, clientes.c.id)
    ).all()
    nuevos: dict[str, dict[str, str]] = defaultdict(dict)
    for campo, canonico in (("email", _email), ("cif_nif", _cif)):
        grupos: dict[str, list[tuple[str, str]]] = defaultdict(list)
        for fila in filas:
            valor = getattr(fila, campo)
            if valor:
                grupos[canonico(valor)].append((fila.id, valor))
        for clave, miembros in grupos.items():
            if len(miembros) > 1:
                log.warning(
                    "clientes con el mismo %s canónico %r, sin fusionar: %s",
                    campo,
                    clave,
                    ", ".join(cliente_id for cliente_id, _ in miembros),
                )
            elif miembros[0][1] != clave:
                nuevos[miembros[0][0]][campo] = clave
    for fila in filas:
        cambios = nuevos.get(fila.id)
        if not cambios:
            continue
        email = cambios.get("email", fila.email)
        cif = cambios.get("cif_nif", fila.cif_nif)
        busqueda = " ".join(_fold(p) for p in (fila.nombre_empresa, email, cif or "") if p)
        conn.execute(
            clientes.update()
            .where(clientes.c.id == fila.id)
            .values(**cambios, busqueda=busqueda[:BUSQUEDA_MAX])
        )


def downgrade() -> None:
    pass
