"""Invoices from SmartBilling: the signed webhook, the ledger, the backfill and CSV."""
