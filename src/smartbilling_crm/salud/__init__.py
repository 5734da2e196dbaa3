"""Client health: the pure engines (motor/, reglas), their facts and stored results."""
