"""Migrations: several workers migrating one fresh database at once, a full
downgrade/upgrade round trip, and models that match the migrations."""

from __future__ import annotations

import importlib.util
import threading
import uuid
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, create_engine, inspect, make_url, text

from smartbilling_crm.kit.db import alembic_config, create_db_engine, migrate
from smartbilling_crm.models import Base, declarado_en_los_modelos

from .conftest import Backend, fresh_postgres_database


@pytest.fixture
def fresh_url(backend: Backend, tmp_path: Path) -> Iterator[str]:
    """An empty database of the backend's kind."""
    if backend.name == "sqlite":
        yield f"sqlite:///{tmp_path / 'fresh.db'}"
        return
    yield from fresh_postgres_database()


def _head() -> str:
    head = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
    assert head is not None
    return head


def test_workers_starting_at_once_migrate_once(fresh_url: str) -> None:
    errors: list[BaseException] = []
    barrier = threading.Barrier(4)

    def worker() -> None:
        try:
            barrier.wait()
            migrate(fresh_url)
        except BaseException as exc:  # collected and reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    engine = create_db_engine(fresh_url)
    try:
        with engine.connect() as conn:
            versions = conn.execute(text("SELECT version_num FROM alembic_version")).all()
        assert [v[0] for v in versions] == [_head()]
    finally:
        engine.dispose()


def test_downgrade_to_nothing_and_back(fresh_url: str) -> None:
    migrate(fresh_url)
    config = alembic_config(fresh_url)
    command.downgrade(config, "base")
    engine = create_engine(fresh_url)
    try:
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
        engine.dispose()
        command.upgrade(config, "head")
        assert {t.name for t in Base.metadata.sorted_tables} <= set(
            inspect(engine).get_table_names()
        )
    finally:
        engine.dispose()


def test_models_match_the_migrations(fresh_url: str) -> None:
    migrate(fresh_url)
    engine = create_db_engine(fresh_url)
    try:
        with engine.connect() as conn:
            contexto = MigrationContext.configure(
                conn, opts={"include_object": declarado_en_los_modelos}
            )
            with warnings.catch_warnings():
                # SQLite's reflection skips an index on an expression (the health row's
                # `silencio_lista`): autogenerate cannot compare it there, PostgreSQL does.
                warnings.filterwarnings(
                    "ignore", "Skipped unsupported reflection of expression-based index"
                )
                warnings.filterwarnings(
                    "ignore", "autogenerate skipping metadata-specified expression-based index"
                )
                diff = compare_metadata(contexto, Base.metadata)
    finally:
        engine.dispose()
    assert diff == []


ANTES_DEL_SECTOR_PLEGADO = "642e426ade52"  # the revision before the folded sector


def _insertar_cliente(conn: Connection, cliente_id: str, sector: str | None) -> None:
    """A client row as any revision since the first one can hold it (no folded sector)."""
    conn.execute(
        text(
            "INSERT INTO clientes_extended (id, nombre_empresa, email, estado, "
            "sector_industria, riesgo_impago, ltv, fecha_primer_contacto, busqueda, "
            "fecha_creacion, fecha_actualizacion) VALUES (:id, 'X', :email, 'prospecto', "
            ":sector, 'bajo', 0, :t, '', :t, :t)"
        ),
        {"id": cliente_id, "email": f"{cliente_id}@x.es", "sector": sector, "t": "2026-01-01"},
    )


def test_folded_sector_is_backfilled_for_clients_stored_before_it(fresh_url: str) -> None:
    config = alembic_config(fresh_url)
    command.upgrade(config, ANTES_DEL_SECTOR_PLEGADO)
    engine = create_engine(fresh_url)
    try:
        with engine.begin() as conn:
            for n, sector in enumerate(("Construcción", "  HOSTELERÍA ", None)):
                _insertar_cliente(conn, f"c{n}", sector)
        engine.dispose()
        command.upgrade(config, "head")
        with engine.connect() as conn:
            plegados = conn.execute(
                text("SELECT id, sector_plegado FROM clientes_extended ORDER BY id")
            ).all()
        assert [tuple(f) for f in plegados] == [
            ("c0", "construccion"),
            ("c1", "hosteleria"),
            ("c2", None),
        ]
    finally:
        engine.dispose()


def _indices_de_clientes(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        return {i["name"] or "" for i in inspect(engine).get_indexes("clientes_extended")}
    finally:
        engine.dispose()


def test_search_gets_a_trigram_index_on_postgresql_only(fresh_url: str, backend: Backend) -> None:
    migrate(fresh_url)
    indices = _indices_de_clientes(fresh_url)
    assert "ix_clientes_extended_nombre_orden_id" in indices  # the list sorted by name
    assert ("ix_clientes_extended_busqueda_trgm" in indices) == (backend.name == "postgresql")


def test_a_role_that_may_not_create_extensions_still_migrates(backend: Backend) -> None:
    """pg_trgm needs CREATE on the database; without it the service starts, search unindexed."""
    if backend.name != "postgresql":
        pytest.skip("extensions are a PostgreSQL matter")
    for url in fresh_postgres_database():
        rol, clave = f"crm_sin_ext_{uuid.uuid4().hex[:8]}", uuid.uuid4().hex
        admin = create_engine(url, isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as conn:
                if conn.scalar(text("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")):
                    pytest.skip("pg_trgm comes with every new database here (template1)")
                conn.execute(text(f"CREATE ROLE {rol} LOGIN PASSWORD '{clave}'"))
                conn.execute(text(f"GRANT CREATE, USAGE ON SCHEMA public TO {rol}"))
            url_rol = make_url(url).set(username=rol, password=clave)
            url_rol = url_rol.render_as_string(hide_password=False)
            migrate(url_rol)
            indices = _indices_de_clientes(url_rol)
            assert "ix_clientes_extended_busqueda_trgm" not in indices
            assert "ix_clientes_extended_nombre_orden_id" in indices
        finally:
            with admin.connect() as conn:
                conn.execute(text(f"DROP OWNED BY {rol}"))  # its tables in this database
                conn.execute(text(f"DROP ROLE {rol}"))
            admin.dispose()


def test_downgrading_the_folded_sector_keeps_every_client_s_data(fresh_url: str) -> None:
    """On SQLite a batch-mode table rebuild would cascade-delete the children."""
    migrate(fresh_url)
    engine = create_engine(fresh_url)
    try:
        with engine.begin() as conn:
            _insertar_cliente(conn, "c1", "Energía")
            conn.execute(
                text(
                    "INSERT INTO contactos_extended (id, cliente_id, nombre_completo, rol, "
                    "es_contacto_principal, es_contacto_financiero, fecha_creacion) "
                    "VALUES ('k1', 'c1', 'Ana', 'Gerente', true, false, :t)"
                ),
                {"t": "2026-01-01"},
            )
        engine.dispose()
        command.downgrade(alembic_config(fresh_url), ANTES_DEL_SECTOR_PLEGADO)
        with engine.connect() as conn:
            assert conn.scalar(text("SELECT count(*) FROM contactos_extended")) == 1
            assert conn.scalar(text("SELECT sector_industria FROM clientes_extended")) == "Energía"
        engine.dispose()
        command.upgrade(alembic_config(fresh_url), "head")
        with engine.connect() as conn:
            assert conn.scalar(text("SELECT sector_plegado FROM clientes_extended")) == "energia"
    finally:
        engine.dispose()


ANTES_DEL_VENCIMIENTO_POR_DEFECTO = "7c4e1a9d2f30"


def test_invoices_stored_without_a_due_date_get_issue_plus_30_days(fresh_url: str) -> None:
    """A copy of a populated database: the migration fills every missing due date and
    touches nothing else."""
    config = alembic_config(fresh_url)
    command.upgrade(config, ANTES_DEL_VENCIMIENTO_POR_DEFECTO)
    engine = create_engine(fresh_url)
    try:
        with engine.begin() as conn:
            _insertar_cliente(conn, "c1", None)
            for factura_id, emision, vence in (
                ("sin", "2025-01-31", None),
                ("con", "2025-01-31", "2025-02-10"),
            ):
                conn.execute(
                    text(
                        "INSERT INTO facturas_ledger (factura_id, cliente_id, numero, "
                        "fecha_emision, fecha_vencimiento, base_imponible, total, moneda, "
                        "anulada, fecha_creacion, fecha_actualizacion) VALUES (:id, 'c1', "
                        ":id, :emision, :vence, 100, 121, 'EUR', false, :t, :t)"
                    ),
                    {"id": factura_id, "emision": emision, "vence": vence, "t": "2026-01-01"},
                )
        engine.dispose()
        command.upgrade(config, "head")
        with engine.connect() as conn:
            filas = conn.execute(
                text(
                    "SELECT factura_id, fecha_vencimiento, total FROM facturas_ledger "
                    "ORDER BY factura_id"
                )
            ).all()
        assert [(f[0], str(f[1]), float(f[2])) for f in filas] == [
            ("con", "2025-02-10", 121.0),
            ("sin", "2025-03-02", 121.0),
        ]
    finally:
        engine.dispose()


ANTES_DE_LO_CANONICO = "c7e1d5a09b42"


def test_existing_tax_ids_and_emails_become_canonical(fresh_url: str) -> None:
    config = alembic_config(fresh_url)
    command.upgrade(config, ANTES_DE_LO_CANONICO)
    engine = create_engine(fresh_url)
    try:
        with engine.begin() as conn:
            _insertar_cliente(conn, "vat", None)
            _insertar_cliente(conn, "liga", None)
            _insertar_cliente(conn, "doble1", None)
            _insertar_cliente(conn, "doble2", None)
            for cliente_id, email, cif in [
                ("vat", "vat@x.es", "ESB29884624"),
                ("liga", "\ufb01le@x.es", "ＢＸ"),
                ("doble1", "d1@x.es", "A58818501"),
                ("doble2", "d2@x.es", "ESA58818501"),
            ]:
                conn.execute(
                    text("UPDATE clientes_extended SET email = :e, cif_nif = :c WHERE id = :i"),
                    {"e": email, "c": cif, "i": cliente_id},
                )
        engine.dispose()
        command.upgrade(config, "head")
        with engine.connect() as conn:
            filas = {
                f[0]: (f[1], f[2], f[3])
                for f in conn.execute(
                    text("SELECT id, email, cif_nif, busqueda FROM clientes_extended")
                )
            }
        assert filas["vat"][:2] == ("vat@x.es", "B29884624")
        assert "b29884624" in filas["vat"][2]
        assert filas["liga"][:2] == ("file@x.es", "BX")
        # Already duplicates once canonical: left for a person to merge, never lost.
        assert filas["doble1"][1] == "A58818501" and filas["doble2"][1] == "ESA58818501"
    finally:
        engine.dispose()


ANTES_DEL_LIBRO_DE_COBROS = "9a4c2e7f1d63"


def test_the_receivables_ledger_moves_paid_dates_and_credit_without_loss(fresh_url: str) -> None:
    """A copy of a populated database before contract §7: each paid invoice gets its
    '/pagada' payment, unpaid ones owe their total less the credit notes (oldest first),
    health rows keep their figures and nothing else is touched."""
    config = alembic_config(fresh_url)
    command.upgrade(config, ANTES_DEL_LIBRO_DE_COBROS)
    engine = create_engine(fresh_url)
    filas = (
        # id, issue, total, paid, cancelled
        ("a_pagada", "2025-09-01", "1210.00", "2025-09-20", False),
        ("b_abierta", "2025-10-01", "605.00", None, False),
        ("c_abierta", "2025-11-01", "242.00", None, False),
        ("d_anulada", "2025-11-15", "999.00", None, True),
        ("e_abono", "2025-12-01", "-700.00", None, False),
    )
    try:
        with engine.begin() as conn:
            _insertar_cliente(conn, "c1", None)
            for factura_id, emision, total, pagada, anulada in filas:
                conn.execute(
                    text(
                        "INSERT INTO facturas_ledger (factura_id, cliente_id, numero, "
                        "fecha_emision, fecha_vencimiento, base_imponible, total, moneda, "
                        "fecha_pago, anulada, fecha_creacion, fecha_actualizacion) VALUES "
                        "(:id, 'c1', :id, :emision, :emision, :total, :total, 'EUR', :pagada, "
                        ":anulada, :t, :t)"
                    ),
                    {"id": factura_id, "emision": emision, "total": total, "pagada": pagada,
                     "anulada": anulada, "t": "2026-01-01"},
                )  # fmt: skip
            conn.execute(
                text(
                    "INSERT INTO salud_cliente_extended (cliente_id, porcentaje_pagos_a_tiempo, "
                    "ltv_lifetime_value, ingresos_esperados_30_dias, ingresos_esperados_90_dias, "
                    "riesgo_impago_nivel, riesgo_perdida_score, "
                    "numero_actividades_ultimos_30_dias, "
                    "facturas_vencidas, importe_vencido, salud_general, motivos, "
                    "fecha_actualizacion) VALUES ('c1', 87.5, 1000, 0, 0, 'medio', 10, 0, 2, 847, "
                    "'buena', '[]', :t)"
                ),
                {"t": "2026-01-01"},
            )
        engine.dispose()
        command.upgrade(config, "head")
        with engine.connect() as conn:
            libro = conn.execute(
                text(
                    "SELECT factura_id, total, fecha_pago, pendiente, credito_aplicado "
                    "FROM facturas_ledger ORDER BY factura_id"
                )
            ).all()
            cobros = conn.execute(
                text(
                    "SELECT cobro_id, factura_id, cliente_id, fecha, importe, devuelto "
                    "FROM cobros_ledger ORDER BY cobro_id"
                )
            ).all()
            salud = conn.execute(
                text(
                    "SELECT porcentaje_pagos_a_tiempo, importe_vencido, importe_pendiente, "
                    "saldo_a_favor FROM salud_cliente_extended"
                )
            ).one()
        assert [(f[0], float(f[1]), str(f[2]) if f[2] else None, float(f[3]), float(f[4]))
                for f in libro] == [
            ("a_pagada", 1210.0, "2025-09-20", 0.0, 0.0),
            ("b_abierta", 605.0, None, 0.0, 605.0),  # the 700 € credit settles it...
            ("c_abierta", 242.0, None, 147.0, 95.0),  # ...and 95 € of the next one
            ("d_anulada", 999.0, None, 0.0, 0.0),
            ("e_abono", -700.0, None, 0.0, 0.0),
        ]  # fmt: skip
        assert [(c[0], c[1], c[2], str(c[3]), c[4], bool(c[5])) for c in cobros] == [
            ("a_pagada/pagada", "a_pagada", "c1", "2025-09-20", None, False)
        ]
        assert (float(salud[0]), float(salud[1]), float(salud[2]), float(salud[3])) == (
            87.5, 847.0, 0.0, 0.0,
        )  # fmt: skip
        command.downgrade(config, ANTES_DEL_LIBRO_DE_COBROS)
        with engine.connect() as conn:
            pagadas = conn.execute(
                text("SELECT factura_id FROM facturas_ledger WHERE fecha_pago IS NOT NULL")
            ).all()
        assert [p[0] for p in pagadas] == ["a_pagada"]
    finally:
        engine.dispose()


ANTES_DE_LA_BUSQUEDA_INDEXADA = "4b8d2f6a1c93"  # the revision before SQLite's trigram index


def test_the_sqlite_trigram_index_covers_clients_stored_before_it(
    fresh_url: str, backend: Backend
) -> None:
    if backend.name != "sqlite":
        pytest.skip("PostgreSQL's trigram index is a plain index, built by CREATE INDEX")
    config = alembic_config(fresh_url)
    command.upgrade(config, ANTES_DE_LA_BUSQUEDA_INDEXADA)
    engine = create_engine(fresh_url)
    buscar = text("SELECT rowid FROM clientes_busqueda WHERE clientes_busqueda MATCH :q")
    try:
        with engine.begin() as conn:
            _insertar_cliente(conn, "c1", None)
            conn.execute(text("UPDATE clientes_extended SET busqueda = 'zafiro azul s.l.'"))
        engine.dispose()
        command.upgrade(config, "head")
        with engine.begin() as conn:
            assert len(conn.execute(buscar, {"q": '"afiro az"'}).all()) == 1
            conn.execute(text("UPDATE clientes_extended SET busqueda = 'rubi rojo'"))
            assert conn.execute(buscar, {"q": '"zafiro"'}).all() == []
            assert len(conn.execute(buscar, {"q": '"rubi"'}).all()) == 1
            conn.exec_driver_sql(
                "INSERT INTO clientes_busqueda (clientes_busqueda, rank) "
                "VALUES ('integrity-check', 1)"
            )
        engine.dispose()
        command.downgrade(config, ANTES_DE_LA_BUSQUEDA_INDEXADA)
        tablas = set(inspect(engine).get_table_names())
        assert not {t for t in tablas if t.startswith("clientes_busqueda")}
    finally:
        engine.dispose()


ANTES_DEL_PLEGADO_ORDENADO = "5d2b8e4a9c17"  # the revision before the fold in key order


def _version(nombre: str) -> Any:
    """A migration file as a module (migrations import nothing from each other; a test may)."""
    ruta = Path(__file__).parents[1] / f"migrations/versions/{nombre}.py"
    spec = importlib.util.spec_from_file_location(nombre.replace("-", "_"), ruta)
    assert spec is not None and spec.loader is not None
    modulo = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(modulo)
    return modulo


def _cuerpo(sql: str) -> str:
    """The body of the one function a CREATE FUNCTION ... AS $$ ... $$ statement defines."""
    return sql.split("$$")[1]


def test_the_counter_fold_in_key_order_round_trips(fresh_url: str, backend: Backend) -> None:
    """Up, down, up: PostgreSQL's fold gets the ordered body, then exactly the former one,
    then the ordered one again, always the same function the constraint trigger runs.
    SQLite has no fold: the migration is a no-op there."""
    ordenado = _version("2026-12-02-1315_counter_fold_in_key_order")
    anterior = _cuerpo(_version("2026-12-02-0620_portfolio_counters").PLEGAR)
    assert _cuerpo(ordenado.PLEGAR_ANTERIOR) == anterior  # copied verbatim
    assert _cuerpo(ordenado.PLEGAR) != anterior
    config = alembic_config(fresh_url)
    funcion = text(
        "SELECT p.oid, p.prosrc FROM pg_trigger t JOIN pg_proc p ON p.oid = t.tgfoid "
        "WHERE t.tgname = 'crm_contadores_plegar' AND p.proname = 'crm_contadores_plegar'"
    )
    vistos: list[int] = []
    for destino, cuerpo in (
        ("head", _cuerpo(ordenado.PLEGAR)),
        (ANTES_DEL_PLEGADO_ORDENADO, anterior),
        ("head", _cuerpo(ordenado.PLEGAR)),
    ):
        if destino == "head":
            command.upgrade(config, destino)
        else:
            command.downgrade(config, destino)
        engine = create_engine(fresh_url)
        try:
            with engine.connect() as conn:
                version = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
                assert version == (_head() if destino == "head" else destino)
                if backend.name == "postgresql":
                    oid, fuente = conn.execute(funcion).one()
                    assert fuente == cuerpo, destino
                    vistos.append(oid)
        finally:
            engine.dispose()
    assert len(set(vistos)) == (1 if backend.name == "postgresql" else 0)


def test_on_postgresql_a_new_alert_text_stays_on_its_page(fresh_url: str, backend: Backend) -> None:
    """The alerts table leaves half of each page free (fillfactor 50): updating the text of
    every alert in one transaction writes each new version beside the old one, touching no
    index (HOT updates), where a table filled to the brim relocates all of them."""
    if backend.name != "postgresql":
        pytest.skip("SQLite updates rows in place")
    migrate(fresh_url)
    engine = create_engine(fresh_url)
    try:
        with engine.begin() as conn:
            _insertar_cliente(conn, "c", None)
            conn.execute(
                text(
                    "INSERT INTO alertas_cliente (cliente_id, tipo, severidad, rango, mensaje, "
                    "posicion) SELECT 'c', 'factura_vencida', 'media', 2, "
                    "'Factura F-' || n || ' vencida hace 10 días', n "
                    "FROM generate_series(1, 1000) AS n"
                )
            )
            conn.execute(
                text("UPDATE alertas_cliente SET mensaje = replace(mensaje, '10 días', '11 días')")
            )
            hot = conn.execute(
                text("SELECT pg_stat_get_xact_tuples_hot_updated('alertas_cliente'::regclass)")
            ).scalar_one()
        assert hot == 1000  # at fillfactor 100: 0 (the last page's few when it has room)
    finally:
        engine.dispose()


ANTES_DEL_RESTO_GUARDADO = "8e1f3a5c7b92"  # the revision before `importe_liquidado`


def test_a_pagada_settlement_gets_the_amount_it_was_settled_for(fresh_url: str) -> None:
    """Stored `factura.pagada` payments get the rest they stood for until now (the total
    less the invoice's other live payments, never below 0): no figure moves on upgrade."""
    config = alembic_config(fresh_url)
    command.upgrade(config, ANTES_DEL_RESTO_GUARDADO)
    engine = create_engine(fresh_url)
    cobros = (
        # id, invoice, amount (None: a pagada), returned
        ("a/pagada", "a", None, False),
        ("a_1", "a", "500.00", False),
        ("a_2", "a", "100.00", True),  # returned: it does not count
        ("b/pagada", "b", None, False),
        ("c_1", "c", "900.00", False),
        ("c/pagada", "c", None, False),  # overpaid by the explicit payment: 0
    )
    try:
        with engine.begin() as conn:
            _insertar_cliente(conn, "c1", None)
            for factura_id, total in (("a", "1210.00"), ("b", "605.00"), ("c", "800.00")):
                conn.execute(
                    text(
                        "INSERT INTO facturas_ledger (factura_id, cliente_id, numero, "
                        "fecha_emision, fecha_vencimiento, base_imponible, total, moneda, "
                        "anulada, pendiente, credito_aplicado, fecha_creacion, "
                        "fecha_actualizacion) VALUES (:id, 'c1', :id, '2026-01-10', "
                        "'2026-02-09', :total, :total, 'EUR', false, 0, 0, :t, :t)"
                    ),
                    {"id": factura_id, "total": total, "t": "2026-01-01"},
                )
            for cobro_id, factura_id, importe, devuelto in cobros:
                conn.execute(
                    text(
                        "INSERT INTO cobros_ledger (cobro_id, factura_id, cliente_id, fecha, "
                        "importe, devuelto, fecha_creacion, fecha_actualizacion) VALUES "
                        "(:id, :f, 'c1', '2026-01-20', :importe, :devuelto, :t, :t)"
                    ),
                    {"id": cobro_id, "f": factura_id, "importe": importe,
                     "devuelto": devuelto, "t": "2026-01-01"},
                )  # fmt: skip
        engine.dispose()
        command.upgrade(config, "head")
        with engine.connect() as conn:
            filas = conn.execute(
                text("SELECT cobro_id, importe_liquidado FROM cobros_ledger ORDER BY cobro_id")
            ).all()
        liquidado = {cobro_id: None if v is None else float(v) for cobro_id, v in filas}
        assert liquidado == {
            "a/pagada": 710.0,
            "a_1": None,
            "a_2": None,
            "b/pagada": 605.0,
            "c/pagada": 0.0,
            "c_1": None,
        }
    finally:
        engine.dispose()


ANTES_DEL_NOMBRE_ORDEN = "3b7e1d9a2c44"  # the revision before the name's sort key


def test_the_name_sort_key_is_backfilled_and_round_trips(fresh_url: str, backend: Backend) -> None:
    config = alembic_config(fresh_url)
    command.upgrade(config, ANTES_DEL_NOMBRE_ORDEN)
    engine = create_engine(fresh_url)
    # "Nube" decomposed (NFD, as some systems paste it): its key is the composed one's.
    originales = ("Órbita S.L.", "  ñandú ", "zeta", "N\u0303u")
    try:
        with engine.begin() as conn:
            for n, nombre in enumerate(originales):
                _insertar_cliente(conn, f"c{n}", None)
                conn.execute(
                    text("UPDATE clientes_extended SET nombre_empresa = :n WHERE id = :id"),
                    {"n": nombre, "id": f"c{n}"},
                )
        engine.dispose()
        command.upgrade(config, "head")
        consulta = text("SELECT id, nombre_orden FROM clientes_extended ORDER BY nombre_orden")
        with engine.connect() as conn:
            claves = [tuple(f) for f in conn.execute(consulta).all()]
        assert claves == [("c1", "n~andu"), ("c3", "n~u"), ("c0", "orbita s.l."), ("c2", "zeta")]
        if backend.name == "postgresql":  # byte order whatever the server's collation
            with engine.connect() as conn:
                colacion = conn.execute(
                    text(
                        "SELECT collation_name FROM information_schema.columns "
                        "WHERE table_name = 'clientes_extended' AND column_name = 'nombre_orden'"
                    )
                ).scalar_one()
            assert colacion == "C"
        engine.dispose()
        command.downgrade(config, ANTES_DEL_NOMBRE_ORDEN)
        with engine.connect() as conn:
            nombres = conn.execute(text("SELECT nombre_empresa FROM clientes_extended")).scalars()
            assert sorted(nombres) == sorted(originales)
    finally:
        engine.dispose()
