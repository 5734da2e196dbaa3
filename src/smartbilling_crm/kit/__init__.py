"""Machinery every feature uses: database, dependencies, errors, middleware, validators, formats."""
