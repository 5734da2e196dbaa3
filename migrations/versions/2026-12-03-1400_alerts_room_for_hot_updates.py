"""alerts keep room on their pages for the next day's text (PostgreSQL fillfactor 50)

Most of a day's alerts are yesterday's with a new day count: `recalcular` updates their
text alone (about 5 per client, 0.5M rows at 100k clients). PostgreSQL writes an updated
row as a new version; on a full page it goes elsewhere and every one of the table's five
indexes gets a new entry. With half of each page left free, every row of a page can take
its new version beside it within one batch's transaction: no index is touched (a HOT
update), and the old versions are reclaimed by the next visit to the page, without a
VACUUM.

Measured on this project's machine (autovacuum off, as there): three daily passes over
531,995 alerts, each setting a text of the same length, in transactions of 5,000 rows in
id order (as `recalcular` does); the table's size is after the first pass and the last:
- fillfactor 100: 36.8, 39.2, 39.6 s; 0.5-1 % HOT; the table grows 335 -> 551 MB;
- fillfactor 70: 30.3, 25.7, 23.0 s; 44 % HOT on the first pass (a page's free space
  holds the new versions of 3 rows in 7), 82 % later; 359 -> 435 MB;
- fillfactor 50: 21.5, 21.2, 17.5 s; 100 % HOT; 318 -> 320 MB, steady.

The setting applies to pages written from now on: rows already stored move to such pages
at their next update (or at once with `VACUUM FULL alertas_cliente`, which locks the table
while it runs). A table loaded at fillfactor 50 takes about twice the pages; index-only
reads (the dashboard's count per severity) visit more heap pages until a VACUUM marks them
all-visible. SQLite updates in place: nothing to do.

Revision ID: 8e1f3a5c7b92
Revises: 2b7f4c9e1a63
Create Date: 2026-12-03 14:00:00.000000+00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "8e1f3a5c7b92"
down_revision: str | None = "2b7f4c9e1a63"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

RELLENO = 50


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"ALTER TABLE alertas_cliente SET (fillfactor = {RELLENO})")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE alertas_cliente RESET (fillfactor)")
