"""Panel accounts: Argon2-hashed passwords, created from the CLI (and, in development, the
demo user)."""
