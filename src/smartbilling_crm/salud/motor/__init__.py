"""Pure engines: facts and "today" in, figures out. No FastAPI, SQLAlchemy, Pydantic or settings."""
