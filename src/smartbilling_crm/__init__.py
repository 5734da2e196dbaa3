"""SmartBilling CRM: the client 360, the invoice hook and client health."""

__version__ = "0.1.0"
