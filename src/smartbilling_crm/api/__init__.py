"""Thin routers, one per resource; they call services and nothing below."""
