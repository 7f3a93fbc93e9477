# One image for the `api` and `worker` services (docker-compose.yml picks the command).
FROM python:3.11-slim
WORKDIR /app
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
COPY pyproject.toml README.md alembic.ini ./
COPY studyflow ./studyflow
COPY workflows ./workflows
COPY activities ./activities
COPY api ./api
COPY db ./db
COPY worker.py ./
RUN pip install --no-cache-dir .
RUN useradd --create-home studyflow
USER studyflow
EXPOSE 8000
CMD ["studyflow", "api", "--host", "0.0.0.0"]
