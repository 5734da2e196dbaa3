"""The command line's own text (help panels, usage line, usage errors) in Spanish, as the
operator sees it: the real CLI through typer's runner, and once as a process under LANG=C."""

from __future__ import annotations

import inspect
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Annotated, Any, Literal

import pytest
import typer
from typer.testing import CliRunner

from smartbilling_crm.cli import app
from smartbilling_crm.cli_es import ComandoEs, GrupoEs, traducir

runner = CliRunner()
# Wide enough for no message to be cut across the lines of its panel.
ANCHO = {"COLUMNS": "200", "CRM_USUARIO_CONTRASENA": ""}

# typer's English, as `smartbilling-crm --help` and its errors showed it before.
INGLES = (
    "Usage", "Options", "Commands", "Arguments", "Show this message", "Install completion",
    "Show completion", "[default", "[required]", "[OPTIONS]", "COMMAND", "[ARGS]",
    "Try '", "for help", "No such", "Missing", "Did you mean", "Invalid value",
    "Got unexpected", "Aborted", "Input should",
)  # fmt: skip


def _salida(args: list[str], **kwargs: Any) -> tuple[int, str]:
    result = runner.invoke(app, args, env=ANCHO, prog_name="smartbilling-crm", **kwargs)
    return result.exit_code, result.output


def _sin_ingles(texto: str) -> None:
    restos = [palabra for palabra in INGLES if palabra in texto]
    assert not restos, f"English left: {restos}\n{texto}"


@pytest.mark.parametrize(
    ("args", "paneles"),
    [
        (["--help"], ["Opciones", "Órdenes"]),
        (["recalcular", "--help"], ["Opciones", "[por defecto: 1000]"]),
        (["backup", "--help"], ["Argumentos", "Opciones", "[obligatorio]"]),
        (["usuarios", "--help"], ["Opciones", "Órdenes"]),
        (["usuarios", "crear", "--help"], ["Argumentos", "[obligatorio]"]),
    ],
)
def test_the_help_is_spanish(args: list[str], paneles: list[str]) -> None:
    codigo, salida = _salida(args)
    assert codigo == 0, salida
    assert "Uso: smartbilling-crm" in salida
    assert "[OPCIONES]" in salida
    assert "Muestra esta ayuda y termina." in salida
    for panel in paneles:
        assert panel in salida
    _sin_ingles(salida)


def test_recalcular_s_help_gives_the_readme_s_cron_line() -> None:
    """The operator reads the cron line in `--help` or in the README: the same line."""
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    cron = re.search(
        r"^(\S+ \S+ \* \* \*) +cd (\S+) && \.venv/bin/smartbilling-crm recalcular", readme, re.M
    )
    assert cron is not None, "the README has no cron line for recalcular"
    _, salida = _salida(["recalcular", "--help"])
    ayuda = " ".join(salida.split())
    assert f"{cron[1]} cd {cron[2]} && .venv/bin/smartbilling-crm recalcular" in ayuda, ayuda


def test_the_main_help_explains_shell_completion_in_spanish() -> None:
    _, salida = _salida(["--help"])
    assert "Uso: smartbilling-crm [OPCIONES] ORDEN [ARGUMENTOS]..." in salida
    assert "Instala el autocompletado de órdenes en la shell actual." in salida


@pytest.mark.parametrize(
    ("args", "mensaje"),
    [
        (["nope"], "No existe la orden 'nope'."),
        (["serv"], "No existe la orden 'serv'. ¿Querías decir 'serve'?"),
        (["usuarios"], "Falta la orden."),
        (["backup"], "Falta el argumento 'destino'."),
        (["webhook-send"], "Falta la opción '--id'."),
        (["serve", "--y"], "No existe la opción --y"),
        (["serve", "--wor", "2"], "No existe la opción --wor (¿querías decir --port, --workers?)"),
        (["serve", "--port"], "La opción '--port' necesita un valor."),
        (["recalcular", "--lote", "x"], "Valor no válido para '--lote': debe ser un número entero"),
        (["recalcular", "--lote", "0"], "para '--lote': debe ser mayor o igual que 1"),
        (["serve", "--workers", "65"], "para '--workers': debe ser menor o igual que 64"),
        (["migrate", "de-mas"], "Sobran argumentos: de-mas"),
    ],
)  # fmt: skip
def test_usage_errors_are_spanish(args: list[str], mensaje: str) -> None:
    codigo, salida = _salida(args)
    assert codigo == 2, salida
    assert mensaje in salida
    _sin_ingles(salida)


def test_a_usage_error_shows_the_spanish_usage_and_where_the_help_is() -> None:
    _, salida = _salida(["backup"])
    assert "Uso: smartbilling-crm backup [OPCIONES] {destino}" in salida
    assert "Prueba 'smartbilling-crm backup --help' para ver la ayuda." in salida


def test_an_interrupted_prompt_says_cancelled(monkeypatch: pytest.MonkeyPatch) -> None:
    """Ctrl-D at the password prompt (a terminal: without one the password is read from
    standard input, `tests/usuarios`)."""
    monkeypatch.setattr("smartbilling_crm.cli_usuarios._en_terminal", lambda: True)
    codigo, salida = _salida(["usuarios", "crear", "x@empresa.es"], input="")
    assert codigo == 1
    assert "Cancelado." in salida
    _sin_ingles(salida)


def test_the_operator_s_language_setting_does_not_matter() -> None:
    """The entry point outside the runner, under LANG=C: Spanish all the same."""
    env = {**os.environ, "LANG": "C", "LC_ALL": "C", "LANGUAGE": "", "COLUMNS": "200"}
    salida = subprocess.run(
        [sys.executable, "-m", "smartbilling_crm", "serv"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env=env,
    )
    assert salida.returncode == 2
    assert "¿Querías decir 'serve'?" in salida.stderr
    _sin_ingles(salida.stderr)


def test_a_text_not_in_the_table_stays_as_it_is() -> None:
    assert traducir("Something typer says one day.") == "Something typer says one day."
    assert traducir("Missing option '--id'.") == "Falta la opción '--id'."
    assert traducir("Invalid value for '--x': Value error, 'b' is not one of 'a', 'c'.") == (
        "Valor no válido para '--x': 'b' no es ninguno de 'a', 'c'."
    )


def test_choice_and_path_values_typer_checks_are_refused_in_spanish(tmp_path: Any) -> None:
    """The CLI's commands check their choices themselves (with the API's types); a choice or
    an existing path typer checks is worded by the table too."""
    prueba = typer.Typer(cls=GrupoEs)

    @prueba.command(cls=ComandoEs)
    def uno(
        modo: Annotated[Literal["rapido", "lento"], typer.Option()] = "rapido",
        fichero: Annotated[Path | None, typer.Option(exists=True)] = None,
    ) -> None:
        pass

    @prueba.command(cls=ComandoEs)
    def dos() -> None:
        pass

    eleccion = runner.invoke(prueba, ["uno", "--modo", "medio"], env=ANCHO)
    assert "Valor no válido para '--modo': 'medio' no es ninguno de" in eleccion.output
    ruta = runner.invoke(prueba, ["uno", "--fichero", str(tmp_path / "no.csv")], env=ANCHO)
    assert "Valor no válido para '--fichero': no existe la ruta" in ruta.output
    _sin_ingles(eleccion.output + ruta.output)


def _ordenes(comando: Any, ruta: str = "smartbilling-crm") -> list[tuple[str, Any]]:
    hijos = getattr(comando, "commands", {})
    return [(ruta, comando)] + [
        par for nombre, hijo in hijos.items() for par in _ordenes(hijo, f"{ruta} {nombre}")
    ]


def test_every_command_is_built_to_speak_spanish() -> None:
    """A command added without cls=ComandoEs (or a Typer without cls=GrupoEs) would show
    typer's English: this names it."""
    for ruta, comando in _ordenes(typer.main.get_command(app)):
        esperada = GrupoEs if hasattr(comando, "commands") else ComandoEs
        assert isinstance(comando, esperada), ruta


def test_each_command_s_summary_is_one_line() -> None:
    """The commands panel shows a docstring's first paragraph as written: a summary on one
    line, the details after a blank line (or it breaks mid-sentence)."""
    for ruta, comando in _ordenes(typer.main.get_command(app)):
        resumen = inspect.cleandoc(comando.help or "").split("\n\n")[0]
        assert "\n" not in resumen, ruta


def test_every_help_s_type_column_is_spanish() -> None:
    """typer labels each value's type in English (`<str>`, `<int range>`, `<path>`) and a
    flag, which takes no value, as `<bool>`: Spanish labels, and none for a flag."""
    vistas: set[str] = set()
    for ruta, _ in _ordenes(typer.main.get_command(app)):
        codigo, salida = _salida([*ruta.split()[1:], "--help"])
        assert codigo == 0, (ruta, salida)
        for ingles in ("<str>", "<int", "<path>", "<bool>", "<float"):
            assert ingles not in salida, (ruta, ingles, salida)
        vistas |= {e for e in ("<texto>", "<entero>", "<ruta>") if e in salida}
    assert vistas == {"<texto>", "<entero>", "<ruta>"}
    _, recalcular = _salida(["recalcular", "--help"])
    linea = next(linea for linea in recalcular.splitlines() if "--desde-cero" in linea)
    assert "<" not in linea  # a flag: no type at all
