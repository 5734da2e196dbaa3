"""Structured logs: one JSON line per event on stderr for the application's loggers."""

from __future__ import annotations

import json
import logging


class _JsonLines(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        if message.startswith("{"):
            return message
        return json.dumps(
            {
                "event": "log",
                "level": record.levelname.lower(),
                "logger": record.name,
                "msg": message,
            },
            ensure_ascii=False,
        )


def configure_logging() -> None:
    """One JSON line per event on stderr for the application's loggers (once)."""
    root = logging.getLogger("smartbilling_crm")
    if root.handlers:
        return
    handler = logging.StreamHandler()
    handler.setFormatter(_JsonLines())
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    root.propagate = False
