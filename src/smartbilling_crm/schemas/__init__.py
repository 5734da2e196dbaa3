"""Pydantic wire models, Spanish wire names with ASCII attributes."""
