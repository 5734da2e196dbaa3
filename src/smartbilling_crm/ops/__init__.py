"""Operator tools: the demo portfolio and backups."""
