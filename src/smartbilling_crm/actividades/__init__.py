"""The timeline of every interaction with a client."""
