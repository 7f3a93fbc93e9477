# One image for the `api` and `worker` services (docker-compose.yml picks the command).

# The web app, built once with the lock file's exact packages; only its static output ships.
FROM node:24-slim AS web
WORKDIR /web
COPY web/package.json web/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY web/ ./
RUN npm run build

FROM python:3.11-slim
WORKDIR /app
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
COPY pyproject.toml README.md alembic.ini ./
COPY studyflow ./studyflow
COPY workflows ./workflows
COPY activities ./activities
COPY api ./api
COPY db ./db
COPY cli ./cli
COPY services ./services
COPY worker.py ./
COPY --from=web /web/dist ./web/dist
ENV WEB_DIST_DIR=/app/web/dist
RUN pip install --no-cache-dir .
RUN useradd --create-home studyflow
USER studyflow
EXPOSE 8000
CMD ["studyflow", "api", "--host", "0.0.0.0"]
