# One image for every production process (web, workers, beat, DICOM listener).
FROM node:20-bookworm-slim AS frontend
WORKDIR /src/frontend
COPY frontend/package.json frontend/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY frontend/ ./
RUN npm run build

FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 VAR_DIR=/var/lib/triage STATIC_ROOT=/app/static
WORKDIR /app
COPY pyproject.toml ./
COPY config/ config/
COPY accounts/ accounts/
COPY archive/ archive/
COPY triage/ triage/
COPY annotations/ annotations/
COPY ml/ ml/
COPY manage.py ./
# "[gpu]" adds TensorFlow's CUDA libraries, for inference and training workers on GPU hosts.
ARG PIP_EXTRAS=""
RUN pip install --no-cache-dir ".${PIP_EXTRAS}"
COPY --from=frontend /src/frontend/dist frontend/dist
RUN SECRET_KEY=build-only-not-secret VAR_DIR=/tmp/build python manage.py collectstatic --noinput -v0 \
    && rm -rf /tmp/build && useradd --system triage \
    && mkdir -p /var/lib/triage && chown triage /var/lib/triage
USER triage
EXPOSE 8000 11112
CMD ["gunicorn", "config.asgi", "-k", "uvicorn_worker.UvicornWorker", "-b", "0.0.0.0:8000", "-w", "8"]
