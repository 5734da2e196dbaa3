"""The sales pipeline of each client."""
