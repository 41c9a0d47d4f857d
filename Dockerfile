FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    TRACEGRAPH_HOST=0.0.0.0 \
    TRACEGRAPH_PORT=8000 \
    TRACEGRAPH_DATA_DIR=/data

WORKDIR /app
COPY pyproject.toml README.md ./
COPY src ./src
RUN pip install . \
    && useradd --system --uid 10001 --home-dir /app tracegraph \
    && mkdir -p /data && chown tracegraph /data

USER tracegraph
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen(f\"http://127.0.0.1:{os.environ['TRACEGRAPH_PORT']}/health\", timeout=4)"]
CMD ["tracegraph", "serve"]
