"""CSV as Spanish spreadsheet users open it, and as they send it back.

Written: UTF-8 with BOM (so Excel detects the encoding), `;` between fields, decimal comma,
ISO dates, CRLF line ends. Read: UTF-8 with or without BOM (Windows-1252 when it is not
UTF-8, as older Excel saves it), `;`, `,` or tab between fields, decimal comma or point,
ISO or dd/mm/yyyy dates.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, tzinfo
from decimal import Decimal, InvalidOperation
from typing import Any

from pydantic import ValidationError

from smartbilling_crm.kit.errores import mensaje_es, ruta
from smartbilling_crm.kit.validators import fold

BOM = "\ufeff"
SEPARADOR = ";"
MEDIA_TYPE = "text/csv; charset=utf-8"
# A spreadsheet may run a cell that starts with one of these as a formula (CSV injection);
# such text cells are written after an apostrophe, which the import removes (also from
# files written before the rule below).
_FORMULA = ("=", "+", "-", "@", "\t", "\r")
# A sign followed by nothing but digits, spaces and separators is a number or a phone
# (`+34 600 123 456`, `-2,5`), never a formula: written as it is, with no apostrophe.
_NUMERO_O_TELEFONO = re.compile(r"[+-]\d[\d .,]*")


class ArchivoNoValido(ValueError):
    """The file as a whole cannot be read (encoding, no header, unknown columns)."""


@dataclass(frozen=True)
class Rechazo:
    """A row left out, and why, by its line in the file (the header is line 1)."""

    linea: int
    motivo: str

    def __str__(self) -> str:
        return f"línea {self.linea}: {self.motivo}"


@dataclass
class InformeImportacion:
    """What a CSV import did, or would do (dry run), and every refused row; the same
    report for clients and invoices."""

    filas: int = 0
    nuevos: int = 0
    actualizados: int = 0
    sin_cambios: int = 0
    rechazos: list[Rechazo] = field(default_factory=list)

    @property
    def correcto(self) -> bool:
        return not self.rechazos


# ---------------------------------------------------------------- writing


def texto(value: str | None) -> str:
    """A text cell, protected against being run as a formula (`=SUM(...)`, `@x`, `-2+3`),
    and otherwise as it is: a phone such as `+34 600 123 456` keeps no apostrophe."""
    if not value:
        return ""
    if value.startswith(_FORMULA) and not _NUMERO_O_TELEFONO.fullmatch(value):
        return "'" + value
    return value


def numero(value: Decimal | float | int | None, decimales: int | None = None) -> str:
    """Decimal comma, no thousands separator: 2500.5 -> '2500,50' with 2 decimals."""
    if value is None:
        return ""
    escrito = f"{Decimal(str(value)):.{decimales}f}" if decimales is not None else str(value)
    return escrito.replace(".", ",")


def dinero(value: Decimal | float | None) -> str:
    return numero(value, 2)


def fecha_iso(value: date | None) -> str:
    return value.isoformat() if value is not None else ""


def fecha_hora(value: datetime | None, tz: tzinfo) -> str:
    """Local time to the second, as spreadsheets parse it: '2025-12-12 09:30:00'."""
    if value is None:
        return ""
    return value.astimezone(tz).replace(tzinfo=None).isoformat(sep=" ", timespec="seconds")


def booleano(value: bool | None) -> str:
    return "" if value is None else ("sí" if value else "no")


def escribir(cabecera: Sequence[str], filas: Iterable[Sequence[str]]) -> Iterator[str]:
    """The file in chunks: BOM and header first, then one chunk per row."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=SEPARADOR, lineterminator="\r\n")

    def vaciar() -> str:
        chunk = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return chunk

    writer.writerow(cabecera)
    yield BOM + vaciar()
    for fila in filas:
        writer.writerow(fila)
        yield vaciar()


# ---------------------------------------------------------------- reading


def decodificar(datos: bytes) -> str:
    """UTF-8 (BOM optional), else Windows-1252, the encoding of older Excel on Windows."""
    try:
        return datos.decode("utf-8-sig")
    except UnicodeDecodeError:
        return datos.decode("cp1252", errors="replace")


def nombre_columna(cabecera: str) -> str:
    """Header cell to column name: 'Tamaño empresa ' -> 'tamano_empresa'."""
    return re.sub(r"\s+", "_", fold(cabecera.strip().lstrip(BOM)))


@dataclass(frozen=True)
class Fila:
    linea: int
    celdas: dict[str, str]  # column name -> stripped cell text ('' when empty)
    error: str | None = None  # the row cannot be read as a whole


def leer(texto_csv: str, conocidas: Iterable[str]) -> Iterator[Fila]:
    """The rows of a CSV whose header names only `conocidas` columns (compared folded)."""
    lineas = texto_csv.lstrip(BOM).splitlines()
    if not lineas or not lineas[0].strip():
        raise ArchivoNoValido("el fichero está vacío: falta la fila de cabecera")
    primera = lineas[0]
    separador = max((";", ",", "\t"), key=primera.count)
    # Strict: a quote opened and never closed is an error, not the rest of the file read
    # as one value (which then reported the row's other columns as missing).
    reader = csv.reader(
        io.StringIO(texto_csv.lstrip(BOM), newline=""), delimiter=separador, strict=True
    )
    try:
        cabecera = [nombre_columna(c) for c in next(reader)]
    except csv.Error as exc:
        raise ArchivoNoValido(f"cabecera no válida: {_comillas(exc, separador)}") from exc
    validas = {nombre_columna(c) for c in conocidas}
    desconocidas = [c for c in cabecera if c and c not in validas]
    if desconocidas:
        raise ArchivoNoValido(
            "columnas desconocidas: "
            + ", ".join(desconocidas)
            + ". Columnas admitidas: "
            + ", ".join(sorted(validas))
        )
    repetidas = sorted({c for c in cabecera if c and cabecera.count(c) > 1})
    if repetidas:
        raise ArchivoNoValido("columnas repetidas: " + ", ".join(repetidas))
    linea = 1
    while True:
        try:
            celdas = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise ArchivoNoValido(f"línea {linea + 1}: {_comillas(exc, separador)}") from exc
        linea, inicio = reader.line_num, linea + 1
        if not any(c.strip() for c in celdas):
            continue
        if len(celdas) > len(cabecera) and any(c.strip() for c in celdas[len(cabecera) :]):
            yield Fila(
                inicio,
                {},
                f"tiene {len(celdas)} campos y la cabecera {len(cabecera)} "
                f"(¿separador '{separador}' dentro de un valor sin comillas?)",
            )
            continue
        yield Fila(
            inicio,
            {
                nombre: _sin_apostrofe(celda.strip())
                for nombre, celda in zip(cabecera, celdas, strict=False)
                if nombre
            },
        )


def _comillas(exc: csv.Error, separador: str) -> str:
    """The csv module's complaint in Spanish: with strict reading, its two are about quotes."""
    if "unexpected end of data" in str(exc):
        return (
            'una comilla (") abre un valor y no se cierra: el resto del fichero sería ese '
            "valor. Cierra la comilla o quítala"
        )
    if "expected after" in str(exc):
        return (
            f'tras la comilla que cierra un valor debe venir el separador "{separador}": '
            'escribe dos comillas ("") para una comilla dentro del valor'
        )
    return f"no se puede leer como CSV ({exc})"


def _sin_apostrofe(value: str) -> str:
    if value.startswith("'") and value[1:].startswith(_FORMULA):
        return value[1:]
    return value


def leer_decimal(value: str) -> Decimal:
    """'2.500,50', '2,500.50', '2500,5', '2500.5', '1.234' (= 1234) and '12,5 €' -> Decimal.

    With one kind of mark, a mark followed by exactly three digits groups thousands: amounts
    carry at most two decimals, so '2.500' is two thousand five hundred in either style.
    """
    limpio = re.sub(r"[\s\u00a0€]", "", value)
    signo = ""
    if limpio.startswith(("+", "-")):
        signo, limpio = limpio[0].replace("+", ""), limpio[1:]
    if not re.fullmatch(r"[\d.,]+", limpio or "x"):
        raise ValueError(f"'{value}' no es un número")
    if "," in limpio and "." in limpio:
        miles, decimal = (".", ",") if limpio.rfind(",") > limpio.rfind(".") else (",", ".")
        limpio = limpio.replace(miles, "").replace(decimal, ".")
    elif "," in limpio or "." in limpio:
        marca = "," if "," in limpio else "."
        partes = limpio.split(marca)
        if len(partes) > 2 or len(partes[-1]) == 3:
            if not all(len(p) == 3 for p in partes[1:]) or not partes[0]:
                raise ValueError(f"'{value}' no es un número")
            # '0.125' is a (too precise) fraction, not thousands.
            limpio = ".".join(partes) if partes[0].startswith("0") else "".join(partes)
        else:
            limpio = ".".join(partes)
    try:
        return Decimal(signo + limpio)
    except InvalidOperation as exc:
        raise ValueError(f"'{value}' no es un número") from exc


def leer_entero(value: str) -> int:
    numero = leer_decimal(value)
    if numero != numero.to_integral_value():
        raise ValueError(f"'{value}' no es un número entero")
    return int(numero)


_DMY = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")


def leer_fecha(value: str) -> date:
    """ISO '2025-12-01' or Spanish '01/12/2025' (also with '-' or '.')."""
    match = _DMY.match(value)
    try:
        if match:
            dia, mes, anio = (int(g) for g in match.groups())
            return date(anio, mes, dia)
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"'{value}' no es una fecha (AAAA-MM-DD o DD/MM/AAAA)") from None


def leer_fecha_hora(value: str) -> datetime:
    """A date alone (midnight), ISO date-time, or 'DD/MM/AAAA HH:MM[:SS]'; naive stays naive
    (the schema reads it in the business time zone)."""
    fecha_txt, _, hora_txt = value.replace("T", " ", 1).partition(" ")
    dia = leer_fecha(fecha_txt)
    if not hora_txt:
        return datetime.combine(dia, time(0, 0))
    try:
        instante = datetime.fromisoformat(f"{dia.isoformat()}T{hora_txt.strip()}")
    except ValueError:
        raise ValueError(f"'{value}' no es una fecha con hora (AAAA-MM-DD HH:MM:SS)") from None
    return instante


_SI = {"si", "s", "true", "verdadero", "1", "x", "yes", "y"}
_NO = {"no", "n", "false", "falso", "0", ""}


def leer_booleano(value: str) -> bool:
    folded = fold(value.strip())
    if folded in _SI:
        return True
    if folded in _NO:
        return False
    raise ValueError(f"'{value}' no es sí ni no")


# ---------------------------------------------------------------- error messages


def mensaje_en_espanol(error: Any) -> str:
    """One pydantic error (a dict of `ValidationError.errors()`) as a short Spanish phrase;
    CSV imports and the panel's forms say the same thing."""
    return _mensaje(error)


def _mensaje(error: Any) -> str:
    kind = error.get("type", "")
    ctx = error.get("ctx") or {}
    if kind == "string_too_short":
        return "no puede estar vacío"
    if kind in ("decimal_max_digits", "decimal_whole_digits"):
        return "importe demasiado grande"
    if kind == "decimal_max_places":
        return f"como mucho {ctx.get('decimal_places')} decimales"
    if kind == "string_pattern_mismatch":
        return "formato no válido (letras, números, '-' y '_', hasta 64)"
    return mensaje_es(error)


def motivos(
    exc: ValidationError, nombres: dict[str, str] | None = None, omitir: Collection[str] = ()
) -> str:
    """A pydantic error as one Spanish line: 'email: email no válido: ...; cif_nif: ...'.
    `omitir`: fields already refused otherwise (a cell that is no date is also missing)."""
    partes = []
    for error in exc.errors():
        loc = ruta(error)
        if loc and loc[0] in omitir:
            continue
        campo = ".".join((nombres or {}).get(p, p) for p in loc)
        mensaje = _mensaje(error)
        partes.append(f"{campo}: {mensaje}" if campo else mensaje)
    return "; ".join(partes)
