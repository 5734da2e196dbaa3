"""The CSV commands against hostile files (issue 15.9): Rich markup in cells is printed
literally, input size is bounded, and an export never writes through a symbolic link."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from smartbilling_crm.kit.ficheros import MAX_CSV_BYTES

from ..conftest import Backend
from .test_csv import _cli


def test_markup_in_refused_cells_is_printed_literally(db: Backend, tmp_path: Path) -> None:
    fichero = tmp_path / "c.csv"
    fichero.write_text(
        "id;nombre_empresa;email;margen_promedio\n"
        "a-1;Rojo S.L.;rojo@x.es;[/red]\n"
        "a-2;Enlace S.L.;enlace@x.es;[link=https://malo.example]pulsa[/link]\n"
        "a-3;Emoji S.L.;emoji@x.es;:x:\n",
        encoding="utf-8",
    )
    result = _cli(db, "importar-clientes", str(fichero))
    assert result.exit_code == 1, result.output
    salida = " ".join(result.output.split())
    assert "Traceback" not in result.output
    assert "'[/red]' no es un número" in salida
    assert "[link=https://malo.example]pulsa[/link]" in salida
    assert "':x:' no es un número" in salida and "❌" not in salida


def test_an_endless_or_huge_input_is_refused_with_exit_code_2(db: Backend, tmp_path: Path) -> None:
    result = _cli(db, "importar-clientes", "/dev/zero")
    assert result.exit_code == 2, result.output
    assert f"supera el máximo de {MAX_CSV_BYTES // 1048576} MiB" in result.output
    grande = tmp_path / "grande.csv"
    with open(grande, "wb") as fichero:
        fichero.truncate(MAX_CSV_BYTES + 1)  # sparse: no disk used
    result = _cli(db, "importar-facturas", str(grande))
    assert result.exit_code == 2
    assert "supera el máximo" in result.output


def test_export_refuses_a_symlinked_destination(db: Backend, tmp_path: Path, api: Any) -> None:
    victima = tmp_path / "victima.txt"
    colgante = tmp_path / "colgante.csv"
    colgante.symlink_to(victima)  # dangling: the target does not exist yet
    result = _cli(db, "exportar-clientes", str(colgante))
    assert result.exit_code == 2, result.output
    assert "enlace simbólico" in result.output
    assert not victima.exists()
    existente = tmp_path / "existente.txt"
    existente.write_text("no tocar")
    enlace = tmp_path / "enlace.csv"
    enlace.symlink_to(existente)
    assert _cli(db, "exportar-clientes", str(enlace)).exit_code == 2
    assert existente.read_text() == "no tocar"
    assert _cli(db, "exportar-clientes", str(tmp_path / "nuevo.csv")).exit_code == 0
