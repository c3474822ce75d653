# The handover service (FastAPI under uvicorn), Python 3.11. Build context: the repository root.
FROM python:3.11-slim
ENV UV_PYTHON_DOWNLOADS=never PYTHONUNBUFFERED=1 PATH="/app/.venv/bin:$PATH"
RUN pip install --no-cache-dir uv
WORKDIR /app
COPY pyproject.toml uv.lock README.md ./
RUN uv sync --locked --no-dev --no-install-project
COPY handover ./handover
COPY klantbeeld_client ./klantbeeld_client
COPY widget ./widget
COPY alembic ./alembic
COPY bot/catalogue ./bot/catalogue
COPY alembic.ini ./
RUN uv sync --locked --no-dev
RUN useradd --system --uid 10001 app && mkdir -p /app/var && chown app /app/var
USER app
EXPOSE 8000
# The one start path (handover/server.py): the same websocket frame limit, keep-alive and header
# limits as `make run` and the tests. Only nginx reaches the container, so its X-Forwarded-* count.
ENV FORWARDED_ALLOW_IPS="*"
CMD ["sh", "-c", "handover-admin migrate && python -m handover.server --host 0.0.0.0 --port 8000 --proxy-headers"]
