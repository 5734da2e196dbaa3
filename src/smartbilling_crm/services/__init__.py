"""Business rules. Nothing here imports FastAPI; errors are `errors.DomainError`s."""
