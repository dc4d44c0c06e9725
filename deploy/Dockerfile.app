# The app image: orchestrator and action server (Python 3.11).
FROM python:3.11-slim
WORKDIR /app
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
COPY requirements/app.lock.txt requirements/app.lock.txt
RUN pip install --no-cache-dir -r requirements/app.lock.txt
COPY alembic.ini pyproject.toml ./
COPY db db
COPY actions actions
COPY orchestrator orchestrator
COPY scripts scripts
EXPOSE 8000 5055
CMD ["uvicorn", "orchestrator.app:create_app", "--factory", "--host", "0.0.0.0", "--port", "8000"]
