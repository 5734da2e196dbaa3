"""The panel (contract §9): the Spanish web screens of the SmartBilling user, served by the
same application and calling the same services as the API. Nothing imports it but `main`."""
