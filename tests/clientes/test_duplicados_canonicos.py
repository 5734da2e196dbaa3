"""One company, one client, whatever the spelling (issue 15.6): tax ids and emails are
compared in canonical form (NFKC; a Spanish id without its EU VAT prefix)."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from ..conftest import Backend
from ..webhook_helpers import evento, send


@pytest.mark.parametrize(
    ("primero", "segundo", "campo"),
    [
        ({"cif_nif": "B29884624"}, {"cif_nif": "ESB29884624"}, "cif_nif"),
        ({"cif_nif": "ES-B29884624"}, {"cif_nif": "b29884624"}, "cif_nif"),
        ({"cif_nif": "B29884624"}, {"cif_nif": "Ｂ２９８８４６２４"}, "cif_nif"),
        ({"email": "file@empresa.es"}, {"email": "\ufb01le@empresa.es"}, "email"),
        ({"email": "file@empresa.es"}, {"email": "ｆｉｌｅ@ｅｍｐｒｅｓａ.ｅｓ"}, "email"),
    ],
)
def test_the_same_tax_id_or_email_in_another_spelling_is_a_409(
    api: httpx.Client, primero: dict[str, str], segundo: dict[str, str], campo: str
) -> None:
    base = {"nombre_empresa": "Uno S.L.", "email": "uno@empresa.es"}
    creado = api.post("/api/clientes/", json={**base, **primero})
    assert creado.status_code == 201, creado.text
    otro = {"nombre_empresa": "Dos S.L.", "email": "dos@empresa.es"}
    response = api.post("/api/clientes/", json={**otro, **segundo})
    assert response.status_code == 409, response.text
    assert response.json()["errors"][0]["campo"] == campo
    assert api.get("/api/clientes/").json()["total"] == 1


def test_the_webhook_finds_a_client_by_its_cif_in_eu_vat_form(
    db: Backend, api: httpx.Client
) -> None:
    now = datetime(2026, 1, 20, 10, 0, tzinfo=UTC)
    db.clock.set(now)
    creado = api.post(
        "/api/clientes/",
        json={"id": "sb1", "nombre_empresa": "Uno S.L.", "email": "u@u.es", "cif_nif": "B29884624"},
    )
    assert creado.status_code == 201
    assert creado.json()["cif_nif"] == "B29884624"
    response = send(api, evento("emitida", cliente_id=None, cif_nif="ESB29884624"), now=now)
    assert response.status_code == 200, response.text
    assert response.json()["cliente_id"] == "sb1"
