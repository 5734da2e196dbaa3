"""Clients: the record, the client 360, the list, CSV, GDPR export and erasure."""
