# Lägesbild service image. Expects DATABASE_URL pointing at a PostGIS 3 server (see compose.yaml).
FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /srv/lagesbild
COPY pyproject.toml README.md alembic.ini ./
COPY app ./app
COPY geo ./geo
COPY migrations ./migrations
COPY data ./data
COPY frontend ./frontend
RUN pip install . && useradd --system --home /srv/lagesbild lagesbild
USER lagesbild
EXPOSE 8000
# Migrate, load places (idempotent), then serve.
CMD ["sh", "-c", "lagesbild seed && lagesbild serve --host 0.0.0.0 --port 8000 --workers 2"]
