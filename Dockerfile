# The Halo application image: API (uvicorn), migrations and batch jobs (the `halo` command).
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml constraints.txt ./
COPY api ./api
COPY cli ./cli
COPY config ./config
COPY db ./db
COPY migrations ./migrations
COPY models ./models
COPY pipeline ./pipeline
COPY sql ./sql
COPY alembic.ini ./
RUN pip install --no-cache-dir -c constraints.txt . \
 && useradd --system --uid 10001 halo
USER halo
ENV HALO_ENV=production
EXPOSE 8000
# `halo serve` leaves proxy headers to HALO_TRUSTED_PROXIES and logs JSON.
CMD ["halo", "serve", "--host", "0.0.0.0", "--port", "8000"]
