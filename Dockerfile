# The API image: `docker compose up` runs it against PostgreSQL.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app

COPY pyproject.toml constraints.txt README.md alembic.ini ./
COPY src ./src
COPY migrations ./migrations
RUN pip install -c constraints.txt . && useradd --system --uid 10001 crm
USER crm

EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --retries=5 \
  CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz').status != 200)"

# Migrations are applied on start (under an advisory lock, safe with several workers).
CMD ["smartbilling-crm", "serve", "--host", "0.0.0.0", "--port", "8000", "--workers", "2"]
