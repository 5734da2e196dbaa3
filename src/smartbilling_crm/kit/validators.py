"""Pure normalisation and validation of identifiers, emails, phones and free text.

A leaf module: schemas use it to parse input, services to flag legacy data.
"""

from __future__ import annotations

import re
import unicodedata

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from stdnum.es import nif as es_nif
from stdnum.eu import vat as eu_vat

# Shapes of Spanish tax ids (DNI, NIE, CIF, and the K/L/M personal NIFs).
_SPANISH_SHAPE = re.compile(
    r"^(\d{8}[A-Z]|[XYZ]\d{7}[A-Z]|[KLM]\d{7}[A-Z]|[A-HJ-NP-SUVW]\d{7}[0-9A-J])$"
)
_EU_VAT_SHAPE = re.compile(r"^([A-Z]{2})([0-9A-Z+*]{2,13})$")


def fold(text: str) -> str:
    """Lower-case and strip accents: 'Pequeña Ñandú' -> 'pequena nandu'."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


# NFKD can make a text longer ("\ufdfa" is 18 letters), so a folded key is cut to the
# length of its column; the filter cuts its value the same way, so matches stay exact.
SECTOR_PLEGADO_MAX = 100
BUSQUEDA_MAX = 600


NOMBRE_ORDEN_MAX = 200
_ENE = "\ue000"  # ñ while the accents go: a private-use character NFKD leaves alone


def clave_nombre(nombre: str) -> str:
    """A client name's stored sort key, in Spanish dictionary order under the databases'
    byte order: case and accents ignored ("Órbita" among the o's, "acme" among the a's), ñ
    after n ("Nube", "Ñandú", "Oasis": `~` sorts after every ASCII letter), at most 200
    characters. Letters NFKD does not take apart (ø, ł, æ, ß) sort after z."""
    compuesto = unicodedata.normalize("NFC", nombre.strip())  # "N" + "◌̃" is "Ñ" too
    plegado = fold(compuesto.replace("ñ", _ENE).replace("Ñ", _ENE))
    return plegado.replace(_ENE, "n~")[:NOMBRE_ORDEN_MAX]


def clave_sector(sector: str) -> str:
    """The stored and searched form of a sector: folded, trimmed, at most 100 characters."""
    return fold(sector.strip())[:SECTOR_PLEGADO_MAX]


def compact_tax_id(value: str) -> str:
    """The canonical form two spellings of one tax id share: NFKC (fullwidth letters and
    digits become plain), uppercase, without spaces, dots, dashes or slashes, and a Spanish
    id without its EU VAT prefix ("ESB29884624" is "B29884624")."""
    compact = re.sub(r"[\s.\-/]", "", unicodedata.normalize("NFKC", value)).upper()
    if compact.startswith("ES") and _SPANISH_SHAPE.match(compact[2:]):
        return compact[2:]
    return compact


def canonical_email(value: str) -> str:
    """NFKC and lower case: "ﬁle@x.es" and fullwidth "ｆｉｌｅ@x.es" are "file@x.es"."""
    return unicodedata.normalize("NFKC", value).strip().lower()


def tax_id_has_known_shape(value: str) -> bool:
    """True for anything shaped like a Spanish NIF/NIE/CIF or an EU VAT number."""
    if _SPANISH_SHAPE.match(value):
        return True
    match = _EU_VAT_SHAPE.match(value)
    if not match:
        return False
    country = match.group(1).lower()
    if country == "el":  # Greece's VAT prefix
        country = "gr"
    if country == "es":
        return bool(_SPANISH_SHAPE.match(match.group(2)))
    return country in eu_vat.MEMBER_STATES


def tax_id_is_valid(value: str) -> bool:
    """True when the check digit (or the country's checksum) is right."""
    if _SPANISH_SHAPE.match(value):
        return bool(es_nif.is_valid(value))
    return bool(eu_vat.is_valid(value))


def normalise_tax_id(value: str) -> str:
    """Compact form of a tax id; ValueError when it is no tax id at all."""
    compact = compact_tax_id(value)
    if not tax_id_has_known_shape(compact):
        raise ValueError(
            "no tiene forma de NIF, NIE, CIF ni de NIF-IVA europeo (p. ej. B12345674, 12345678Z)"
        )
    return compact


def normalise_email(value: str) -> str:
    """Syntax-checked, normalised, lower-case email; ValueError when invalid."""
    value = value.strip()
    if value.count("@") != 1:
        raise ValueError("email no válido: debe llevar una @ (p. ej. nombre@empresa.es)")
    try:
        result = validate_email(canonical_email(value), check_deliverability=False)
    except EmailNotValidError as exc:
        # email-validator explains in English: say what is wrong, in Spanish.
        parte = "antes" if value.startswith("@") or "local part" in str(exc) else "después"
        raise ValueError(
            f"email no válido: revisa lo que va {parte} de la @ (p. ej. nombre@empresa.es)"
        ) from exc
    return result.normalized.lower()


def normalise_phone(value: str, region: str = "ES") -> str:
    """E.164 form of a phone number (default region Spain); ValueError when invalid."""
    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException as exc:
        raise ValueError(f"teléfono no válido: {value!r}") from exc
    if not phonenumbers.is_valid_number(number):
        raise ValueError(f"teléfono no válido: {value!r}")
    return str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))
