"""A malformed webhook secret stops the service at start, in every environment, naming the
entry (issue 15.2); before, it was accepted and every webhook answered 500."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from smartbilling_crm.config import Settings

from .conftest import WEBHOOK_SECRET
from .procesos import ServerProcess


@pytest.mark.parametrize("env", ["development", "production"])
@pytest.mark.parametrize("malo", ["whsec_no-es-base64!", "whsec_", "whsec_QUJD?"])
def test_a_malformed_secret_is_refused_naming_its_position(env: str, malo: str) -> None:
    with pytest.raises(ValidationError) as error:
        Settings(  # type: ignore[call-arg]
            _env_file=None,
            CRM_ENV=env,
            CRM_API_KEYS="k" * 32,
            CRM_WEBHOOK_SECRETS=f"{WEBHOOK_SECRET} {malo}",
        )
    message = str(error.value)
    assert "CRM_WEBHOOK_SECRETS" in message and "entrada 2 de 2" in message
    assert malo == "whsec_" or malo not in message  # the secret never reaches the log


def test_the_server_does_not_start_with_a_malformed_secret(tmp_path: Path) -> None:
    server = ServerProcess(
        f"sqlite:///{tmp_path / 'crm.db'}",
        tmp_path / "server.log",
        CRM_WEBHOOK_SECRETS=f"whsec_no-es-base64! {WEBHOOK_SECRET}",
    )
    server.start(wait=False)
    assert server.process is not None
    try:
        server.process.wait(timeout=60)
    finally:
        server.stop()
    assert server.process.returncode != 0
    assert "entrada 1 de 2" in (tmp_path / "server.log").read_text()
