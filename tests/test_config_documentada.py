"""Every setting the service reads is documented where an operator looks for it: the
README's configuration table and `.env.example`."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from dotenv import dotenv_values

from smartbilling_crm.config import Settings

RAIZ = Path(__file__).resolve().parent.parent
VARIABLES = sorted(
    campo.alias for campo in Settings.model_fields.values() if campo.alias is not None
)


def test_the_settings_are_read_from_the_expected_variables() -> None:
    assert "DATABASE_URL" in VARIABLES and "CRM_HILOS_LECTURA" in VARIABLES


@pytest.mark.parametrize("variable", VARIABLES)
def test_each_setting_has_a_row_in_the_readme_table(variable: str) -> None:
    filas = [
        linea
        for linea in (RAIZ / "README.md").read_text().splitlines()
        if linea.startswith("| `") and re.search(rf"`{variable}`", linea.split("|")[1])
    ]
    assert filas, f"{variable} has no row in the README's configuration table"


@pytest.mark.parametrize("variable", VARIABLES)
def test_each_setting_is_in_env_example(variable: str) -> None:
    valores = dotenv_values(RAIZ / ".env.example")
    comentadas = re.findall(r"^#\s*([A-Z_]+)=", (RAIZ / ".env.example").read_text(), re.M)
    assert variable in valores or variable in comentadas, f"{variable} is not in .env.example"
