"""Schemathesis hooks for `make fuzz`: sign every generated webhook body the way the
invoicing module does, so the fuzzer reaches the hook's logic, not only its 401; and point
generated invoices at the client fuzz.sh creates first (FUZZ_CLIENTE_ID), the test data an
invoice needs: an invoice for a client the CRM does not know is refused by design (422,
"retry once the client exists"), which says nothing about the schema, so that client is
created again whenever the fuzzer erases it; likewise contact references in activity and
opportunity bodies are left out."""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import os
import time
import urllib.error
import urllib.request
import uuid
from datetime import date, datetime, timedelta
from typing import Any

import schemathesis
from schemathesis.core import NotSet

WEBHOOK_PATH = "/api/webhooks/facturas"
IMPORT_PATH = "/api/facturas/importar"
CLIENTE_PATH = "/api/clientes/{cliente_id}"


def _known_client(factura: Any) -> None:
    cliente_id = os.environ.get("FUZZ_CLIENTE_ID")
    if cliente_id and isinstance(factura, dict):
        factura["cliente_id"] = cliente_id
    if isinstance(factura, dict):
        _fechas_posibles(factura)


def _fecha(valor: Any) -> date | None:
    try:
        return date.fromisoformat(valor) if isinstance(valor, str) else None
    except ValueError:
        return None


def _fechas_posibles(factura: dict[str, Any]) -> None:
    """Date rules no static schema can state, so a random body breaks one of them almost
    always (and one bad invoice refuses a whole backfill): issued 2000-01-01 .. today + 366,
    paid no later than today (#15, against "today"), due no earlier than issued, and base
    and total of the same sign. Values are moved inside them, so the fuzzer reaches the
    rest of the body; the rules themselves are tested in tests/facturacion/."""
    hoy = date.today()
    emision = _fecha(factura.get("fecha_emision"))
    if emision is not None and not date(2000, 1, 1) <= emision <= hoy + timedelta(days=366):
        emision = hoy
        factura["fecha_emision"] = hoy.isoformat()
    vence = _fecha(factura.get("fecha_vencimiento"))
    if emision is not None and vence is not None and vence < emision:
        factura["fecha_vencimiento"] = None
    pago = _fecha(factura.get("fecha_pago"))
    if pago is not None and pago > hoy:
        factura["fecha_pago"] = hoy.isoformat()
    # Payments (contract §7) are no later than today either.
    vistos: set[Any] = set()
    cobros = factura.get("cobros")
    for cobro in cobros if isinstance(cobros, list) else ():
        _cobro_posible(cobro)
        if isinstance(cobro, dict) and isinstance(cobro.get("id"), str):
            if cobro["id"] in vistos:  # one payment listed twice is refused (422)
                cobro["id"] = f"{cobro['id']}-{len(vistos)}"[-128:]
            vistos.add(cobro["id"])
    if factura.get("rectifica") is not None and factura.get("rectifica") == factura.get("id"):
        factura["rectifica"] = None  # an invoice cannot rectify itself
    base, total = factura.get("base_imponible"), factura.get("total")
    if isinstance(base, int | float) and isinstance(total, int | float) and base * total < 0:
        factura["total"] = base  # a credit note is negative in both, an invoice in neither


def _cobro_posible(cobro: Any) -> None:
    hoy = date.today()
    if isinstance(cobro, dict):
        fecha = _fecha(cobro.get("fecha"))
        if fecha is not None and fecha > hoy:
            cobro["fecha"] = hoy.isoformat()


# A body's reference to a contact must name a contact of the client in the path, which the
# generator cannot know: a random one is refused by design (422, tested in tests/actividades
# and tests/oportunidades). Generated bodies send none, so the rest of the body is exercised.
CONTACT_REFERENCES = ("contacto_id", "contacto_responsable_id")


def _sin_referencias(body: Any) -> None:
    if isinstance(body, dict):
        for campo in CONTACT_REFERENCES:
            if isinstance(body.get(campo), str):
                body[campo] = None


def _primer_contacto_pasado(body: Any) -> None:
    """A client's first contact after today is refused (422, tested in tests/clientes): a
    random instant is after today about half the time, and the client is then not created.
    Moved to today, so the rest of the body is exercised."""
    if not isinstance(body, dict) or not isinstance(body.get("fecha_primer_contacto"), str):
        return
    try:
        instante = datetime.fromisoformat(body["fecha_primer_contacto"])
    except ValueError:
        return
    if instante.date() >= date.today():
        body["fecha_primer_contacto"] = (date.today() - timedelta(days=1)).isoformat()


def _sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    key = base64.b64decode(secret.removeprefix("whsec_"))
    mac = hmac.new(key, f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(mac).decode()


ACTIVIDAD_PATH = "/api/clientes/{cliente_id}/actividades/{actividad_id}"
_BORRADOS = itertools.count()


def _actividad_de_la_prueba(case: Any) -> None:
    """DELETE of an activity draws its ids from earlier answers or at random, and nearly
    always names none (404: schemathesis then warns that most of the operation's answers
    are 404, as if the credentials were wrong). Every other call deletes an activity made
    here for the run's client instead, so the deletion itself is fuzzed too."""
    cliente_id = os.environ.get("FUZZ_CLIENTE_ID")
    base = os.environ.get("FUZZ_BASE_URL")
    if not cliente_id or not base or next(_BORRADOS) % 2:
        return
    crear = urllib.request.Request(
        f"{base}/api/clientes/{cliente_id}/actividades",
        data=json.dumps({"tipo": "nota", "titulo": "Para borrar"}).encode(),
        headers={
            "Authorization": f"Bearer {os.environ.get('FUZZ_API_KEY', '')}",
            "Content-Type": "application/json",
        },
    )
    try:
        with urllib.request.urlopen(crear, timeout=30) as respuesta:
            actividad = json.load(respuesta)
    except urllib.error.HTTPError:
        return  # the run's client was just erased: this call keeps its random ids
    case.path_parameters = {"cliente_id": cliente_id, "actividad_id": actividad["id"]}


@schemathesis.hook
def before_call(ctx: Any, case: Any, kwargs: dict[str, Any]) -> None:
    # Every phase goes through here (the documented examples too): point invoices at the
    # client the run created.
    # The body is sent from case.body: edit it in place.
    if "/actividades" in case.operation.path or "/oportunidades" in case.operation.path:
        _sin_referencias(case.body)
    elif case.operation.path in ("/api/clientes/", CLIENTE_PATH):
        _primer_contacto_pasado(case.body)
    if case.method == "DELETE" and case.operation.path == ACTIVIDAD_PATH:
        _actividad_de_la_prueba(case)
    if case.operation.path == IMPORT_PATH and isinstance(case.body, list):
        for factura in case.body:
            _known_client(factura)
    if case.operation.path != WEBHOOK_PATH or isinstance(case.body, NotSet):
        return
    if isinstance(case.body, dict):
        _known_client(case.body.get("factura"))
        _cobro_posible(case.body.get("cobro"))
    try:
        raw = json.dumps(case.body, allow_nan=False).encode()
    except (TypeError, ValueError):
        return  # not JSON at all: let it go unsigned (and be refused with 401)
    secret = os.environ["FUZZ_WEBHOOK_SECRET"]
    msg_id = f"msg_{uuid.uuid4().hex}"
    ts = int(time.time())
    # Send exactly the bytes that were signed.
    kwargs["json"] = None
    kwargs["data"] = raw
    case.headers = {
        **(case.headers or {}),
        "content-type": "application/json",
        "webhook-id": msg_id,
        "webhook-timestamp": str(ts),
        "webhook-signature": _sign(secret, msg_id, ts, raw),
    }


# The run's client is erased by the fuzzer too, now and then: DELETE /api/clientes/{id} draws
# its ids from earlier responses, and FUZZ_CLIENTE_ID is in many (the invoice answers name
# it). That erasure is worth fuzzing (the one client with a ledger and webhook records), but
# every invoice generated after it is then refused by design, 422 "cliente desconocido" (a
# rule of the database, which no schema can state), and schemathesis, seeing a whole batch
# of valid bodies refused, reports the two invoice operations as "schema validation
# mismatch". So after any client erasure the run's client is made to exist again, same id.
def _cliente_de_la_prueba(request: Any) -> None:
    cliente_id = os.environ.get("FUZZ_CLIENTE_ID")
    if not cliente_id:
        return
    base = request.url.split("/api/clientes/", 1)[0]
    auth = {"Authorization": request.headers.get("Authorization", "")}
    try:
        with urllib.request.urlopen(
            urllib.request.Request(f"{base}/api/clientes/{cliente_id}", headers=auth), timeout=30
        ):
            return  # still there: another client was erased
    except urllib.error.HTTPError as exc:
        if exc.code != 404:
            raise
    # A fresh email: the erased client's may have been given to another one since.
    body = {
        "id": cliente_id,
        "nombre_empresa": "Fuzz S.L.",
        "email": f"fuzz-{uuid.uuid4().hex}@fuzz.es",
    }
    crear = urllib.request.Request(
        f"{base}/api/clientes/",
        data=json.dumps(body).encode(),
        headers={**auth, "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(crear, timeout=30):
        pass


@schemathesis.hook
def after_call(ctx: Any, case: Any, response: Any) -> None:
    erased = case.method == "DELETE" and case.operation.path == CLIENTE_PATH
    if erased and response.status_code == 204:
        _cliente_de_la_prueba(response.request)
