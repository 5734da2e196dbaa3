"""Every SQL statement of the application lives in this package."""
