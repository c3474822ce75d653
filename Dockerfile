# The handover service (FastAPI under uvicorn), Python 3.11. Build context: the repository root.
# Two stages: the build stage resolves the locked environment with uv; the runtime stage gets
# only the virtualenv and the code (no uv, no build tools). Bases are pinned to a patch release.
FROM python:3.11.11-slim-bookworm AS build
ENV UV_PYTHON_DOWNLOADS=never UV_COMPILE_BYTECODE=1 UV_LINK_MODE=copy
RUN pip install --no-cache-dir uv==0.13.9
WORKDIR /app
COPY pyproject.toml uv.lock README.md ./
RUN uv sync --locked --no-dev --no-install-project
COPY handover ./handover
COPY klantbeeld_client ./klantbeeld_client
RUN uv sync --locked --no-dev --no-editable

FROM python:3.11.11-slim-bookworm
ENV PYTHONUNBUFFERED=1 PATH="/app/.venv/bin:$PATH"
RUN useradd --system --uid 10001 --user-group app
WORKDIR /app
COPY --from=build /app/.venv ./.venv
COPY handover ./handover
COPY klantbeeld_client ./klantbeeld_client
COPY widget ./widget
COPY alembic ./alembic
COPY bot/catalogue ./bot/catalogue
COPY alembic.ini ./
RUN mkdir -p /app/var && chown app:app /app/var
USER 10001
EXPOSE 8000
# The one start path (handover/server.py): the same websocket frame limit, keep-alive and header
# limits as `make run` and the tests. Only nginx reaches the container, so its X-Forwarded-* count.
# Migrations are not run here: `handover-admin migrate` runs once, in the compose `migrate`
# service or the Kubernetes Job, before the replicas start.
ENV FORWARDED_ALLOW_IPS="*"
CMD ["python", "-m", "handover.server", "--host", "0.0.0.0", "--port", "8000", "--proxy-headers"]
