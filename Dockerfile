FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 DJANGO_SETTINGS_MODULE=config.settings.production
RUN apt-get update \
    && apt-get install -y --no-install-recommends build-essential pkg-config libmariadb-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY requirements.txt ./
COPY requirements ./requirements
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
RUN DJANGO_SECRET_KEY=build-only python manage.py collectstatic --noinput
RUN useradd --system --home /app cart && chown -R cart /app
USER cart
EXPOSE 8000
# The web pool: Granian's WSGI server, the fastest of those `make bench` compares
# (docs/benchmarks.md, "Servers"). The live-update stream runs on an ASGI server beside it
# (docker-compose.yml, `events`).
CMD ["granian", "--interface", "wsgi", "config.wsgi:application", "--host", "0.0.0.0", "--port", "8000", "--workers", "4", "--blocking-threads", "4", "--respawn-failed-workers"]
