"""The command line's own text in Spanish: typer's help panels, usage line and usage errors.

typer 0.29 no longer uses the installed click: it carries its own copy (`typer._click`),
and that copy writes its text as plain English literals ("Usage: ", "Missing argument
'x'.", "Show this message and exit."...), without the `gettext` calls click has. Only a
few of typer's own strings still go through `gettext`, and `gettext.gettext` reads the
process's global catalog, chosen by LANG/LANGUAGE: a catalog installed for its domain
would translate nothing under LANG=C and would need gettext's module state patched to be
forced. So the text is translated where typer lets an application in, without patching
its modules:

- typer's documented `cls=` hook: every Typer and every command of this CLI is built with
  `GrupoEs` or `ComandoEs` (subclasses of `typer.core.TyperGroup` / `TyperCommand`), which
  write the usage line with a Spanish prefix and placeholders (click's `format_usage`,
  `write_usage(prefix=...)`), give the framework's options (--help,
  --install-completion...) Spanish help, turn each usage error into the same error with a
  Spanish message before typer prints it, and let the terminal wrap the docstrings;
- the fixed strings of the rich help (panel titles, "[default: …]", "[required]", the
  "Try … for help." line, "Aborted."): module constants of `typer.rich_utils`, read each
  time help or an error is drawn, so they are set once here, on import of the CLI.

Both use one table, `TEXTOS`: the English exactly as typer writes it, `{name}` standing
for a variable part, and its Spanish. A text not in the table is left in English (a new
typer may word something differently): never an error. Nothing here runs in the server.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, cast

# Imported at start-up (about 40 ms, for rich.markdown) so that its constants are Spanish
# before anything is parsed or drawn; typer itself would import it only for help or errors.
from typer import rich_utils

# typer exports only BadParameter; the rest of click's exception classes are in its copy.
from typer._click.exceptions import BadParameter, NoArgsIsHelpError, UsageError
from typer.core import TyperCommand, TyperGroup

# English (as typer 0.29 and its copy of click write it) -> Spanish. In a key, `{name}` is a
# variable part (the same name in the Spanish); it is translated in turn, so a message
# inside a message ("Invalid value for '--x': <message>") is too.
TEXTOS: dict[str, str] = {
    # The help.
    "Usage: ": "Uso: ",
    "[OPTIONS]": "[OPCIONES]",
    "COMMAND [ARGS]...": "ORDEN [ARGUMENTOS]...",
    "Arguments": "Argumentos",
    "Options": "Opciones",
    "Commands": "Órdenes",
    "Error": "Error",
    "[default: {}]": "[por defecto: {}]",
    "[env var: {}]": "[variable de entorno: {}]",
    "[required]": "[obligatorio]",
    "(deprecated) ": "(obsoleta) ",
    "Show this message and exit.": "Muestra esta ayuda y termina.",
    "Install completion for the current shell.": (
        "Instala el autocompletado de órdenes en la shell actual."
    ),
    "Show completion for the current shell, to copy it or customize the installation.": (
        "Muestra el autocompletado de la shell actual, para copiarlo o adaptar la instalación."
    ),
    "Install completion for the specified shell.": (
        "Instala el autocompletado de órdenes en la shell indicada."
    ),
    "Show completion for the specified shell, to copy it or customize the installation.": (
        "Muestra el autocompletado de la shell indicada, para copiarlo o adaptar la instalación."
    ),
    # What follows an error; "Aborted." is Ctrl+C or Ctrl+D at a prompt.
    "Try [blue]'{command_path} {help_option}'[/] for help.": (
        "Prueba [blue]'{command_path} {help_option}'[/] para ver la ayuda."
    ),
    "Aborted.": "Cancelado.",
    # Usage errors, the more specific first.
    "No such command {name}. Did you mean {sugerencias}?": (
        "No existe la orden {name}. ¿Querías decir {sugerencias}?"
    ),
    "No such command {name}.": "No existe la orden {name}.",
    "Missing command.": "Falta la orden.",
    "Missing argument {name}. Choose from:{opciones}": (
        "Falta el argumento {name}. Elige entre:{opciones}"
    ),
    "Missing option {name}. Choose from:{opciones}": (
        "Falta la opción {name}. Elige entre:{opciones}"
    ),
    "Missing argument {name}.": "Falta el argumento {name}.",
    "Missing option {name}.": "Falta la opción {name}.",
    "Missing parameter {name}.": "Falta el parámetro {name}.",
    "No such option: {name} (Possible options: {opciones})": (
        "No existe la opción {name} (¿querías decir {opciones}?)"
    ),
    "No such option: {name}": "No existe la opción {name}",
    "Option {name} requires an argument.": "La opción {name} necesita un valor.",
    "Option {name} requires {n} arguments.": "La opción {name} necesita {n} valores.",
    "Option {name} does not take a value.": "La opción {name} no admite un valor.",
    "Argument {name} takes {n} values.": "El argumento {name} necesita {n} valores.",
    "Got unexpected extra argument(s) ({extra})": "Sobran argumentos: {extra}",
    "Invalid value for {name}: {mensaje}": "Valor no válido para {name}: {mensaje}",
    "Invalid value: {mensaje}": "Valor no válido: {mensaje}",
    # The message inside "Invalid value": a choice, a path, a type typer cannot check.
    # (pydantic's, for the numbers, are worded by kit.errores, as the API words them.)
    "Value error, {valor} is not one of {opciones}.": "{valor} no es ninguno de {opciones}.",
    "{valor} is not one of {opciones}.": "{valor} no es ninguno de {opciones}.",
    "file {ruta} does not exist.": "no existe el fichero {ruta}.",
    "dir {ruta} does not exist.": "no existe la carpeta {ruta}.",
    "path {ruta} does not exist.": "no existe la ruta {ruta}.",
    "file {ruta} is a directory.": "{ruta} es una carpeta, no un fichero.",
    "path {ruta} is a directory.": "{ruta} es una carpeta.",
    "dir {ruta} is a file.": "{ruta} es un fichero, no una carpeta.",
    "path {ruta} is a file.": "{ruta} es un fichero.",
    "{tipo} {ruta} is not readable.": "no se puede leer {ruta}.",
    "{tipo} {ruta} is not writable.": "no se puede escribir en {ruta}.",
    "Value {valor} is not a valid {tipo}.": "{valor} no es un {tipo} válido.",
    "Value must be an iterable.": "Debe ser una lista de valores.",
    # The type column of the help (a flag's <bool> is not shown: it takes no value).
    "<str>": "<texto>",
    "<int>": "<entero>",
    "<int range>": "<entero>",
    "<float>": "<número>",
    "<float range>": "<número>",
    "<path>": "<ruta>",
    "<bool>": "<sí/no>",
}

# The constants of typer.rich_utils that hold text, translated through the table.
CONSTANTES_RICH = (
    "ARGUMENTS_PANEL_TITLE",
    "OPTIONS_PANEL_TITLE",
    "COMMANDS_PANEL_TITLE",
    "ERRORS_PANEL_TITLE",
    "DEFAULT_STRING",
    "ENVVAR_STRING",
    "REQUIRED_LONG_STRING",
    "DEPRECATED_STRING",
    "RICH_HELP",
    "ABORTED_TEXT",
)

_VARIABLE = re.compile(r"\{(\w+)\}")


def _patron(ingles: str) -> re.Pattern[str]:
    partes = _VARIABLE.split(ingles)  # literal, name, literal, name, ..., literal
    return re.compile(
        "".join(re.escape(p) if i % 2 == 0 else f"(?P<{p}>.+?)" for i, p in enumerate(partes)),
        re.DOTALL,
    )


_PLANTILLAS = [(_patron(en), es) for en, es in TEXTOS.items() if _VARIABLE.search(en)]


def traducir(texto: str) -> str:
    """`texto` in Spanish when the table has it (exactly, or as one of its templates);
    otherwise `texto` itself."""
    if texto in TEXTOS:
        return TEXTOS[texto]
    for patron, espanol in _PLANTILLAS:
        encaje = patron.fullmatch(texto)
        if encaje:
            return espanol.format(**{k: traducir(v) for k, v in encaje.groupdict().items()})
    return texto


def _mensaje(error: UsageError) -> str:
    """The error as typer would print it, in Spanish."""
    texto = error.format_message()
    causa = error.__cause__
    if isinstance(error, BadParameter) and texto.endswith(error.message) and causa is not None:
        # A value pydantic refused (an int out of range...): its error in the API's words.
        from pydantic import ValidationError

        if isinstance(causa, ValidationError) and causa.errors():
            from smartbilling_crm.kit.errores import mensaje_es  # only on this error

            texto = texto.removesuffix(error.message) + mensaje_es(causa.errors()[0])
    return traducir(texto)


class ErrorDeUso(UsageError):
    """A usage error already in Spanish: printed by typer like the one it replaces."""

    def __init__(self, original: UsageError) -> None:
        super().__init__(_mensaje(original), ctx=original.ctx)
        self.exit_code = original.exit_code


@contextmanager
def _errores_en_espanol() -> Iterator[None]:
    try:
        yield
    except (NoArgsIsHelpError, ErrorDeUso):
        raise  # the help itself (no arguments), or already translated by a subcommand
    except UsageError as exc:
        raise ErrorDeUso(exc) from exc


def _parametros_en_espanol(parametros: list[Any]) -> list[Any]:
    """The framework's options (--help, --install-completion...) with Spanish help (this
    CLI's own help is Spanish already and is not in the table), and every parameter's type
    label in the help's type column in Spanish (`<texto>`, `<entero>`...; none for a flag)."""
    for parametro in parametros:
        ayuda = getattr(parametro, "help", None)
        if ayuda:
            parametro.help = traducir(ayuda)
        etiqueta = getattr(parametro, "display_type_rich", None)
        if etiqueta is not None and not isinstance(etiqueta, _TipoEnEspanol):
            parametro.display_type_rich = _TipoEnEspanol(
                etiqueta, bandera=bool(getattr(parametro, "is_flag", False))
            )
    return parametros


class _TipoEnEspanol:
    """A parameter's `display_type_rich` (the label typer draws in the type column),
    translated; set once on the parameter, whose usage-line name is left as it is."""

    def __init__(self, original: Any, *, bandera: bool) -> None:
        self.original, self.bandera = original, bandera

    def __call__(self, ctx: Any) -> str | None:
        if self.bandera:
            return None
        etiqueta = self.original(ctx)
        return etiqueta if etiqueta is None else traducir(etiqueta)


def _uso(comando: TyperCommand | TyperGroup, ctx: Any, formatter: Any) -> None:
    """The usage line: click's `write_usage` with a Spanish prefix and placeholders."""
    piezas = " ".join(traducir(pieza) for pieza in comando.collect_usage_pieces(ctx))
    formatter.write_usage(ctx.command_path, piezas, prefix=traducir("Usage: "))


def _parrafos(ayuda: str | None) -> str | None:
    """A docstring's paragraphs each on one line, for the terminal to wrap: typer's rich help
    keeps the source's line breaks after the first paragraph (ragged at 80 columns). A
    paragraph that starts with \\b is kept as written, as in click."""
    if not ayuda:
        return ayuda
    return "\n\n".join(
        p if p.startswith("\b") else " ".join(p.split("\n"))
        for p in inspect.cleandoc(ayuda).split("\n\n")
    )


class _EnEspanol:
    """What both classes below add to typer's: Spanish usage line, option help and usage
    errors, and docstring paragraphs the terminal wraps. First in their bases, so its
    `super()` is typer's command or group."""

    help: str | None

    def get_params(self, ctx: Any) -> list[Any]:
        return _parametros_en_espanol(super().get_params(ctx))  # type: ignore[misc]

    def format_usage(self, ctx: Any, formatter: Any) -> None:
        _uso(cast(TyperCommand | TyperGroup, self), ctx, formatter)

    def format_help(self, ctx: Any, formatter: Any) -> None:
        self.help = _parrafos(self.help)
        super().format_help(ctx, formatter)  # type: ignore[misc]

    def make_context(
        self, info_name: str | None, args: list[str], parent: Any = None, **extra: Any
    ) -> Any:
        with _errores_en_espanol():
            return super().make_context(info_name, args, parent, **extra)  # type: ignore[misc]

    def invoke(self, ctx: Any) -> Any:
        # For a group, also where an unknown command ("Did you mean...") and a missing one
        # are refused.
        with _errores_en_espanol():
            return super().invoke(ctx)  # type: ignore[misc]


class ComandoEs(_EnEspanol, TyperCommand):
    """A command whose framework text is Spanish: `@app.command(cls=ComandoEs)`."""


class GrupoEs(_EnEspanol, TyperGroup):
    """A group of commands whose framework text is Spanish: `typer.Typer(cls=GrupoEs)`."""


def _textos_de_rich(nombres: Sequence[str]) -> None:
    for nombre in nombres:
        valor = getattr(rich_utils, nombre, None)
        if isinstance(valor, str):
            setattr(rich_utils, nombre, traducir(valor))


_textos_de_rich(CONSTANTES_RICH)
