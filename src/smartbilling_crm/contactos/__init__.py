"""The people at each client company."""
