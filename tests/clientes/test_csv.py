"""CSV for Spanish spreadsheets: export, create-or-update import, invoice history import."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from smartbilling_crm.cli import app
from smartbilling_crm.clientes import csv as csv_clientes
from smartbilling_crm.facturacion import csv as facturacion_csv
from smartbilling_crm.kit import csv_es
from smartbilling_crm.kit.contexto import unidad_de_trabajo

from ..conftest import Backend
from ..test_cli import _env

runner = CliRunner()
BOM = "\ufeff"


def _snapshot(db: Backend, tabla: str = "clientes_extended") -> list[tuple[Any, ...]]:
    with db.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(f"SELECT * FROM {tabla} ORDER BY 1"))]


def _count(db: Backend, tabla: str) -> int:
    with db.engine.connect() as conn:
        return int(conn.execute(text(f"SELECT count(*) FROM {tabla}")).scalar_one())


def _cli(db: Backend, *args: str) -> Any:
    return runner.invoke(app, list(args), env=_env(db))


def _filas(contenido: str) -> list[list[str]]:
    return [linea.split(";") for linea in contenido.lstrip(BOM).splitlines()]


def _cartera(api: httpx.Client, make_cliente: Any) -> None:
    """Clients that exercise the awkward cases: accents, separators, quotes, line breaks,
    a would-be formula, decimals, dates, and a health row fed by invoices."""
    make_cliente(
        id="-cli-1",
        nombre_empresa='Construcciones Peña; Hijos "El Roble" S.L.',
        email="info@pena.es",
        cif_nif="B12345674",
        telefono="+34 91 123 45 67",
        tamaño_empresa="pequeña",
        margen_promedio=12.5,
        numero_empleados=1200,
        notas="Primera línea\nsegunda, con coma",
        fecha_primer_contacto="2024-03-05T09:30:00+01:00",
    )
    make_cliente(id="cli-formula", nombre_empresa='=HYPERLINK("http://x")', sector_industria="ocio")
    make_cliente(id="cli-3", email="contabilidad@tres.es", cif_nif="A12345678")
    factura = {
        "id": "fac-1", "numero": "2025/0001", "cliente_id": "-cli-1",
        "fecha_emision": "2025-01-10", "fecha_vencimiento": "2025-02-09",
        "base_imponible": 2066.12, "total": 2500.00, "fecha_pago": "2025-01-20",
    }  # fmt: skip
    assert api.post("/api/facturas/importar", json=[factura]).status_code == 200


def test_counts_agree_with_their_words_and_a_missing_folder_is_said_in_spanish(
    db: Backend, api: httpx.Client, make_cliente: Any, tmp_path: Path
) -> None:
    make_cliente(id="solo", email="solo@uno.es")
    result = _cli(db, "exportar-clientes", str(tmp_path / "uno.csv"))
    assert result.exit_code == 0, result.output
    assert "1 cliente exportado a" in result.output

    result = _cli(db, "exportar-clientes", str(tmp_path / "no-existe" / "uno.csv"))
    assert result.exit_code == 2
    assert "no se pudo escribir" in result.output
    assert "la carpeta no existe" in result.output
    assert "No such file" not in result.output  # the C library's English


def test_an_exported_csv_imported_back_changes_nothing(
    db: Backend, api: httpx.Client, make_cliente: Any, tmp_path: Path
) -> None:
    _cartera(api, make_cliente)
    destino = tmp_path / "clientes.csv"
    result = _cli(db, "exportar-clientes", str(destino))
    assert result.exit_code == 0, result.output
    assert "3 clientes exportados" in result.output

    crudo = destino.read_bytes()
    assert crudo.startswith(BOM.encode())
    contenido = crudo.decode("utf-8")
    cabecera = contenido.lstrip(BOM).splitlines()[0].split(";")
    assert {"id", "email", "ltv", "salud_general", "riesgo_perdida_score"} <= set(cabecera)
    assert "2066,12" in contenido  # LTV with decimal comma
    assert "12,50" in contenido  # margen
    assert "'=HYPERLINK" in contenido  # never a live formula in a spreadsheet

    antes = _snapshot(db)
    result = _cli(db, "importar-clientes", str(destino))
    assert result.exit_code == 0, result.output
    assert "0 clientes nuevos, 0 actualizados, 3 sin cambios" in result.output
    assert _snapshot(db) == antes


def test_the_http_export_is_the_same_csv_and_takes_the_list_filters(
    db: Backend, api: httpx.Client, anon: httpx.Client, make_cliente: Any, tmp_path: Path
) -> None:
    _cartera(api, make_cliente)
    response = api.get("/api/clientes/exportar.csv")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert "attachment" in response.headers["content-disposition"]
    destino = tmp_path / "c.csv"
    assert _cli(db, "exportar-clientes", str(destino)).exit_code == 0
    assert response.content == destino.read_bytes()

    solo_ocio = api.get("/api/clientes/exportar.csv", params={"sector": "ocio"}).text
    assert len(_filas(solo_ocio)) == 2  # header + one client
    assert api.get("/api/clientes/exportar.csv", params={"estado": "nada"}).status_code == 422
    assert anon.get("/api/clientes/exportar.csv").status_code == 401


@pytest.mark.parametrize(
    ("ordenar_por", "orden"),
    [("nombre_empresa", "desc"), ("ltv", "desc"), ("dias_sin_actividad", "asc"), ("LTV", "ASC")],
)
def test_the_http_export_takes_the_list_s_order(
    api: httpx.Client, make_cliente: Any, ordenar_por: str, orden: str
) -> None:
    """The rows in the order the list shows with the same parameters (by name when none)."""
    for n, nombre in enumerate(["Beta S.L.", "Alfa S.L.", "Delta S.L.", "Gamma S.L."]):
        cliente = make_cliente(nombre_empresa=nombre)
        if n % 2:
            factura = {"id": f"f-{n}", "numero": f"F/{n}", "cliente_id": cliente["id"]}
            factura |= {"fecha_emision": "2025-06-0" + str(n), "base_imponible": 100 * n}
            factura |= {"total": 121 * n, "moneda": "EUR"}
            assert api.post("/api/facturas/importar", json=[factura]).status_code == 200
    params = {"ordenar_por": ordenar_por, "orden": orden}
    lista = api.get("/api/clientes/", params=params)
    assert lista.status_code == 200, lista.text
    esperado = [c["nombre_empresa"] for c in lista.json()["clientes"]]
    exportado = api.get("/api/clientes/exportar.csv", params=params)
    assert exportado.status_code == 200, exportado.text
    filas = list(csv.reader(io.StringIO(exportado.content.decode("utf-8-sig")), delimiter=";"))
    columna = filas[0].index("nombre_empresa")
    assert [f[columna] for f in filas[1:]] == esperado
    por_nombre = api.get("/api/clientes/exportar.csv").content.decode("utf-8-sig")
    nombres = [f[columna] for f in csv.reader(io.StringIO(por_nombre), delimiter=";")][1:]
    assert nombres == sorted(esperado)


def test_an_export_read_page_by_page_neither_skips_nor_repeats_a_client_a_write_moves(
    db: Backend, api: httpx.Client, make_cliente: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Sorted by last modification, pages of 2: after the first page, a write moves a
    client of the last page to the top. Read in one snapshot, the file still has each
    client once (by offset without it, one was skipped and another repeated)."""
    monkeypatch.setattr(csv_clientes, "LOTE_EXPORTACION", 2)
    ids = [make_cliente(nombre_empresa=f"Empresa {n} S.L.")["id"] for n in range(5)]
    settings = db.app.state.settings
    filtro = csv_clientes.FiltroExportacion(ordenar_por="fecha_actualizacion", descendente=True)
    factory = db.app.state.session_factory
    with unidad_de_trabajo(factory, settings, datetime.now(UTC), (), read_only=True) as ctx:
        trozos = csv_clientes.exportar(ctx, filtro)
        leido = next(trozos) + next(trozos)  # the header and the first page's first rows
        # Meanwhile, another request edits the oldest client (last page): it moves to the top.
        assert api.patch(f"/api/clientes/{ids[0]}", json={"notas": "movido"}).status_code == 200
        leido += "".join(trozos)
    filas = list(csv.reader(io.StringIO(leido.lstrip(csv_es.BOM)), delimiter=";"))
    exportados = [f[0] for f in filas[1:]]
    assert sorted(exportados) == sorted(ids), exportados
    assert exportados == ids[::-1]  # the order when the export began


@pytest.mark.parametrize(
    ("opcion", "valor", "admitidos"),
    [
        ("--estado", "dormido", "'prospecto', 'cliente_activo', 'cliente_dormido'"),
        ("--riesgo-impago", "altisimo", "'bajo', 'medio', 'alto' o 'critico'"),
    ],
)
def test_the_cli_export_refuses_a_filter_the_api_refuses(
    db: Backend, api: httpx.Client, tmp_path: Path, opcion: str, valor: str, admitidos: str
) -> None:
    """Not a file with no rows: the same 422 as the API's, as exit 2 and one line."""
    destino = tmp_path / "c.csv"
    result = _cli(db, "exportar-clientes", str(destino), opcion, valor)
    assert result.exit_code == 2
    assert f"{opcion} '{valor}': valor no admitido; se admite {admitidos}" in result.output
    assert not destino.exists()
    clave = opcion.removeprefix("--").replace("-", "_")
    assert api.get("/api/clientes/exportar.csv", params={clave: valor}).status_code == 422
    # The API's spellings are the CLI's: any case, no accent needed.
    assert _cli(db, "exportar-clientes", str(destino), "--estado", "VIP").exit_code == 0


def test_import_creates_and_updates_by_id_cif_or_email_from_a_comma_file(
    db: Backend, api: httpx.Client, make_cliente: Any, tmp_path: Path
) -> None:
    make_cliente(id="por-id", email="uno@uno.es")
    make_cliente(id="por-cif", email="dos@dos.es", cif_nif="B12345674")
    make_cliente(id="por-email", email="tres@tres.es")
    fichero = tmp_path / "c.csv"
    # A comma-separated file with decimal points and Spanish dates, as another tool saves it.
    fichero.write_text(
        "id,nombre_empresa,email,cif_nif,margen_promedio,fecha_primer_contacto,Tamaño empresa\n"
        'por-id,Uno Renombrada S.L.,,,"7,25",,mediana\n'
        ",,,b-1234567-4,10.5,01/02/2024,\n"
        ",,TRES@tres.es,,,,grande\n"
        "nuevo-1,Nueva S.A.,nueva@nueva.es,,,15/03/2025 10:30,autonomo\n",
        encoding="utf-8",
    )
    result = _cli(db, "importar-clientes", str(fichero))
    assert result.exit_code == 0, result.output
    assert "1 cliente nuevo, 3 actualizados, 0 sin cambios" in result.output

    uno = api.get("/api/clientes/por-id").json()
    assert uno["nombre_empresa"] == "Uno Renombrada S.L."
    assert uno["email"] == "uno@uno.es"  # empty cell: left as it was
    assert uno["margen_promedio"] == 7.25
    assert uno["tamaño_empresa"] == "mediana"
    dos = api.get("/api/clientes/por-cif").json()
    assert dos["margen_promedio"] == 10.5
    assert dos["fecha_primer_contacto"] == "2024-02-01T00:00:00+01:00"  # midnight in Madrid
    assert api.get("/api/clientes/por-email").json()["tamaño_empresa"] == "grande"
    nuevo = api.get("/api/clientes/nuevo-1").json()
    assert nuevo["tamaño_empresa"] == "autónomo"
    assert nuevo["fecha_primer_contacto"] == "2025-03-15T10:30:00+01:00"


def test_a_refused_row_is_reported_by_line_and_nothing_is_written(
    db: Backend, make_cliente: Any, tmp_path: Path
) -> None:
    make_cliente(id="existente", email="existente@x.es", cif_nif="B12345674")
    fichero = tmp_path / "c.csv"
    fichero.write_text(
        "id;nombre_empresa;email;cif_nif;margen_promedio\n"
        "ok-1;Buena S.L.;buena@x.es;;\n"
        "ok-2;Mala;no-es-un-email;;\n"
        ";Sin email S.L.;;;\n"
        "ok-3;Otra S.L.;buena@x.es;;\n"
        "ok-4;Cuarta S.L.;cuarta@x.es;;12,3,4\n"
        "ok-5;Quinta S.L.;quinta@x.es;B12345674;\n",
        encoding="utf-8",
    )
    antes = _snapshot(db)
    result = _cli(db, "importar-clientes", str(fichero))
    assert result.exit_code == 1
    salida = " ".join(result.output.split())
    assert "línea 3: email" in salida
    assert "línea 4: falta id, cif_nif o email" in salida
    assert "línea 5: email 'buena@x.es' repetido: ya aparece en la línea 2" in salida
    assert "línea 6: margen_promedio: '12,3,4' no es un número" in salida
    assert "línea 7: no hay ningún cliente con id 'ok-5', pero su CIF/NIF" in salida
    assert "No se ha guardado nada: 5 filas rechazadas. Corrígelas" in salida
    assert "Traceback" not in result.output
    assert _snapshot(db) == antes  # not even line 2, which was fine


def test_a_row_with_several_mistakes_names_them_all(db: Backend, tmp_path: Path) -> None:
    """A cell that cannot be read (a date that does not exist, a number in words) no longer
    hides the row's other mistakes: the owner fixes the row once, not once per mistake."""
    fichero = tmp_path / "c.csv"
    fichero.write_text(
        "id;nombre_empresa;email;cif_nif;fecha_primer_contacto;numero_empleados\n"
        "q-1;Varios S.L.;no-es-email;B1234567X;31/02/2025;\n"
        "q-2;Otra S.L.;otra@x.es;;;diez\n",
        encoding="utf-8",
    )
    result = _cli(db, "importar-clientes", str(fichero))
    assert result.exit_code == 1
    salida = " ".join(result.output.split())
    linea2 = salida.split("línea 2:", 1)[1].split("línea 3:", 1)[0]
    assert "fecha_primer_contacto: '31/02/2025' no es una fecha" in linea2
    assert "email:" in linea2 and "cif_nif:" in linea2, linea2
    assert linea2.count("fecha_primer_contacto") == 1, linea2  # not also "missing"
    assert "línea 3: numero_empleados: 'diez' no es un número" in salida


def test_an_invoice_row_with_several_mistakes_names_them_all(
    db: Backend, make_cliente: Any, tmp_path: Path
) -> None:
    make_cliente(id="h1", email="h1@h.es")
    fichero = _facturas_csv(tmp_path / "f.csv", ["f-1;2024/0001;h1;;31/02/2024;;cien;-121;;"])
    result = _cli(db, "importar-facturas", str(fichero))
    assert result.exit_code == 1
    salida = " ".join(result.output.split())
    assert "fecha_emision: '31/02/2024' no es una fecha" in salida
    assert "base_imponible: 'cien' no es un número" in salida
    # A required cell that could not be read is not reported missing as well.
    assert salida.count("fecha_emision") == 1 and salida.count("base_imponible") == 1, salida


@pytest.mark.parametrize(
    ("fila", "dice"),
    [
        ('"abierto;x@x.es', 'una comilla (") abre un valor y no se cierra'),
        (
            '"Dos" Puntos S.L.;dos@x.es',
            'tras la comilla que cierra un valor debe venir el separador ";"',
        ),
    ],
    ids=["sin_cerrar", "texto_tras_la_comilla"],
)
def test_a_quote_out_of_place_is_named_with_its_line(
    db: Backend, tmp_path: Path, fila: str, dice: str
) -> None:
    """An unclosed quote used to swallow the rest of the file into one value, and the row
    was refused for a missing email; now the file is refused saying where and why."""
    fichero = tmp_path / "c.csv"
    fichero.write_text(
        f"nombre_empresa;email\nBuena S.L.;buena@x.es\n{fila}\nOtra S.L.;otra@x.es\n",
        encoding="utf-8",
    )
    antes = _snapshot(db)
    result = _cli(db, "importar-clientes", str(fichero))
    assert result.exit_code == 2, result.output
    salida = " ".join(result.output.split())
    assert f"línea 3: {dice}" in salida, salida
    assert "expected" not in salida and "unexpected" not in salida
    assert _snapshot(db) == antes


def test_a_quoted_value_may_span_lines_and_hold_quotes(db: Backend, tmp_path: Path) -> None:
    fichero = tmp_path / "c.csv"
    fichero.write_text(
        "nombre_empresa;email;direccion\n"
        '"Comillas ""Bien"" S.L.";bien@x.es;"Calle Mayor 1\n2.º B"\n',
        encoding="utf-8",
    )
    result = _cli(db, "importar-clientes", str(fichero))
    assert result.exit_code == 0, result.output
    assert "1 cliente nuevo" in " ".join(result.output.split())


def test_one_refused_row_is_spoken_of_in_the_singular(db: Backend, tmp_path: Path) -> None:
    fichero = tmp_path / "c.csv"
    fichero.write_text(
        "id;nombre_empresa;email\nok-1;Buena S.L.;buena@x.es\nok-2;Mala;no-es-un-email\n",
        encoding="utf-8",
    )
    result = _cli(db, "importar-clientes", str(fichero))
    assert result.exit_code == 1
    assert "1 fila rechazada. Corrígela y vuelve a importar" in " ".join(result.output.split())


def test_dry_run_reports_what_it_would_do_and_writes_nothing(
    db: Backend, make_cliente: Any, tmp_path: Path
) -> None:
    make_cliente(id="a", email="a@a.es")
    fichero = tmp_path / "c.csv"
    fichero.write_text("id;ciudad\na;Teruel\nb-nuevo;\n", encoding="utf-8")
    antes = _snapshot(db)
    result = _cli(db, "importar-clientes", "--simular", str(fichero))
    # b-nuevo has neither name nor email: a create that would fail, reported as such.
    assert result.exit_code == 1
    assert "línea 3: nombre_empresa: falta y es obligatorio" in " ".join(result.output.split())

    fichero.write_text("id;ciudad\na;Teruel\n", encoding="utf-8")
    result = _cli(db, "importar-clientes", "--dry-run", str(fichero))
    assert result.exit_code == 0, result.output
    assert "Simulación" in result.output and "1 actualizado," in result.output
    assert _snapshot(db) == antes


def test_a_file_that_cannot_be_read_is_one_clear_line(db: Backend, tmp_path: Path) -> None:
    fichero = tmp_path / "c.csv"
    fichero.write_text("id;emial\nx;y\n", encoding="utf-8")
    result = _cli(db, "importar-clientes", str(fichero))
    assert result.exit_code == 2
    assert "columnas desconocidas: emial" in result.output
    result = _cli(db, "importar-clientes", str(tmp_path / "no-existe.csv"))
    assert result.exit_code == 2
    assert "no existe el fichero" in result.output
    assert "Traceback" not in result.output


def test_a_windows_1252_file_from_old_excel_is_read(
    db: Backend, api: httpx.Client, make_cliente: Any, tmp_path: Path
) -> None:
    make_cliente(id="w", email="w@w.es")
    fichero = tmp_path / "c.csv"
    fichero.write_bytes("id;ciudad;tamaño_empresa\r\nw;Logroño;pequeña\r\n".encode("cp1252"))
    result = _cli(db, "importar-clientes", str(fichero))
    assert result.exit_code == 0, result.output
    assert api.get("/api/clientes/w").json()["ciudad"] == "Logroño"


# ---------------------------------------------------------------- invoices


def _facturas_csv(ruta: Path, filas: list[str]) -> Path:
    cabecera = (
        "id;numero;cliente_id;cif_nif;fecha_emision;fecha_vencimiento;base_imponible;total;"
        "fecha_pago;anulada"
    )
    ruta.write_text(BOM + "\n".join([cabecera, *filas]) + "\n", encoding="utf-8")
    return ruta


def test_invoice_history_import_has_the_backfill_semantics(
    db: Backend, api: httpx.Client, make_cliente: Any, tmp_path: Path
) -> None:
    make_cliente(id="h1", email="h1@h.es")
    make_cliente(id="h2", email="h2@h.es", cif_nif="B12345674")
    fichero = _facturas_csv(
        tmp_path / "f.csv",
        [
            "f-1;2024/0001;h1;;10/01/2024;09/02/2024;2.066,12;2.500,00;20/01/2024;no",
            "f-2;2024/0002;h1;;2024-02-10;2024-03-11;1000.00;1210.00;;",
            "f-3;2024/0003;;B-12345674;2024-03-01;;500;605;2024-03-05;",
            "f-4;2024/0004;h2;;2024-04-01;;800;968;;sí",
        ],
    )
    result = _cli(db, "importar-facturas", str(fichero))
    assert result.exit_code == 0, result.output
    assert "4 facturas nuevas, 0 actualizadas, 0 sin cambios" in result.output
    assert api.get("/api/clientes/h1").json()["ltv"] == 3066.12
    assert api.get("/api/clientes/h2").json()["ltv"] == 500.0  # the cancelled one is out

    antes = _snapshot(db, "facturas_ledger")
    again = _cli(db, "importar-facturas", str(fichero))
    assert "0 facturas nuevas, 0 actualizadas, 4 sin cambios" in again.output
    assert _snapshot(db, "facturas_ledger") == antes
    # The API's backfill sees the same ledger: the same invoices change nothing there either.
    same = {
        "id": "f-2", "numero": "2024/0002", "cliente_id": "h1", "fecha_emision": "2024-02-10",
        "fecha_vencimiento": "2024-03-11", "base_imponible": 1000, "total": 1210,
    }  # fmt: skip
    assert api.post("/api/facturas/importar", json=[same]).json()["sin_cambios"] == 1


def test_invoice_import_in_several_batches_writes_each_timeline_entry_once(
    db: Backend, api: httpx.Client, make_cliente: Any, tmp_path: Path, monkeypatch: Any
) -> None:
    """The file's batches share one transaction: an invoice listed again in a later batch
    (here paid) updates the timeline entries the first batch wrote, never adds a second
    one (the unique index would refuse the whole import)."""
    monkeypatch.setattr(facturacion_csv, "LOTE", 1)
    make_cliente(id="h1", email="h1@h.es")
    fichero = _facturas_csv(
        tmp_path / "f.csv",
        [
            "f-1;2024/0001;h1;;2024-01-10;2024-02-09;1000;1210;;",
            "f-1;2024/0001;h1;;2024-01-10;2024-02-09;1000;1210;2024-01-20;",
        ],
    )
    result = _cli(db, "importar-facturas", str(fichero))
    assert result.exit_code == 0, result.output
    timeline = api.get("/api/clientes/h1/actividades", params={"limite": 100}).json()
    tipos = sorted(a["tipo"] for a in timeline)
    assert tipos == ["factura", "pago"], timeline
    pago = next(a for a in timeline if a["tipo"] == "pago")
    assert "20/01/2024" in pago["descripcion"]


def test_invoice_import_refuses_the_whole_file_naming_each_bad_line(
    db: Backend, make_cliente: Any, tmp_path: Path
) -> None:
    make_cliente(id="h1", email="h1@h.es")
    fichero = _facturas_csv(
        tmp_path / "f.csv",
        [
            "f-1;2024/0001;h1;;2024-01-10;;100;121;;",
            "f-2;2024/0002;nadie;;2024-01-10;;100;121;;",
            "f-3;2024/0003;h1;;31/02/2024;;100;121;;",
            "f-4;2024/0004;h1;;2024-01-10;2023-01-01;100;121;;",
            "f-5;2024/0005;h1;;2024-01-10;;cien;121;;",
        ],
    )
    result = _cli(db, "importar-facturas", str(fichero))
    assert result.exit_code == 1
    salida = " ".join(result.output.split())
    assert "línea 3: cliente desconocido" in salida
    assert "línea 4: fecha_emision: '31/02/2024' no es una fecha" in salida
    assert "línea 5: fecha_vencimiento: es anterior a fecha_emision (2024-01-10)" in salida
    assert "línea 6: base_imponible: 'cien' no es un número" in salida
    assert _count(db, "facturas_ledger") == 0


def test_invoice_import_names_the_line_of_a_date_out_of_range(
    db: Backend, make_cliente: Any, tmp_path: Path
) -> None:
    """Dates the ledger refuses (contract §7: issued 2000-01-01 .. today + 366 days, paid no
    later than today) are refused rows like any other, not an error out of the import."""
    make_cliente(id="h1", email="h1@h.es")
    hoy = datetime.now(ZoneInfo("Europe/Madrid")).date()  # the CLI's today
    manana, lejos = hoy + timedelta(days=1), hoy + timedelta(days=400)
    fichero = _facturas_csv(
        tmp_path / "f.csv",
        [
            f"f-1;2024/0001;h1;;2024-01-10;;100;121;{manana.isoformat()};",
            "f-2;2024/0002;h1;;1999-11-01;;100;121;;",
            f"f-3;2024/0003;h1;;{lejos.isoformat()};;100;121;;",
            "f-4;2024/0004;nadie;;2024-01-10;;100;121;;",
        ],
    )
    for simular in ([], ["--simular"]):
        result = _cli(db, "importar-facturas", str(fichero), *simular)
        assert result.exit_code == 1, result.output
        assert isinstance(result.exception, SystemExit), result.exception  # no traceback
        salida = " ".join(result.output.split())
        assert f"línea 2: fecha_pago {manana.isoformat()} es posterior a hoy" in salida
        assert "línea 3: fecha_emision 1999-11-01 fuera de rango" in salida
        assert f"línea 4: fecha_emision {lejos.isoformat()} fuera de rango" in salida
        assert "línea 5: cliente desconocido" in salida
    assert _count(db, "facturas_ledger") == 0


# ---------------------------------------------------------------- the Spanish formats


@pytest.mark.parametrize(
    ("escrito", "valor"),
    [
        ("2500", "2500"),
        ("2500,5", "2500.5"),
        ("2500.50", "2500.50"),
        ("2.500,50", "2500.50"),
        ("2,500.50", "2500.50"),
        ("2.500", "2500"),
        ("1.234.567,89", "1234567.89"),
        ("-120,5 €", "-120.5"),
        ("0,125", "0.125"),
        (" 12,30\u00a0€ ", "12.30"),
    ],
)
def test_both_decimal_marks_are_read(escrito: str, valor: str) -> None:
    assert csv_es.leer_decimal(escrito) == Decimal(valor)


@pytest.mark.parametrize("escrito", ["", "abc", "1,2,3", "12.34.5", "--1", "1e5"])
def test_what_is_not_a_number_is_refused(escrito: str) -> None:
    with pytest.raises(ValueError, match="no es un número"):
        csv_es.leer_decimal(escrito)


def test_dates_are_iso_or_spanish() -> None:
    assert csv_es.leer_fecha("2025-12-01") == date(2025, 12, 1)
    assert csv_es.leer_fecha("01/12/2025") == date(2025, 12, 1)
    assert csv_es.leer_fecha("1-12-2025") == date(2025, 12, 1)
    with pytest.raises(ValueError, match="no es una fecha"):
        csv_es.leer_fecha("12/31/2025")


def test_export_numbers_use_the_decimal_comma_and_text_never_runs_as_formula() -> None:
    assert csv_es.dinero(Decimal("2500")) == "2500,00"
    assert csv_es.numero(87.5, 1) == "87,5"
    assert csv_es.texto("=1+1") == "'=1+1"
    assert csv_es.texto("Normal") == "Normal"


@pytest.mark.parametrize(
    "celda", ["=SUM(A1:A2)", "@SUM(A1)", "-2+3", "+1+1", "-Proveedor", "=1", "\tx", "+34 6x"]
)
def test_what_a_spreadsheet_would_run_gets_the_apostrophe(celda: str) -> None:
    assert csv_es.texto(celda) == "'" + celda


@pytest.mark.parametrize("celda", ["+34911234567", "+34 600 123 456", "-2,5", "+1.5", "-10"])
def test_phones_and_plain_numbers_are_written_as_they_are(celda: str) -> None:
    assert csv_es.texto(celda) == celda
