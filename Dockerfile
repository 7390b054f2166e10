# detente service image: the package, the committed model, a non-root user.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app

COPY pyproject.toml README.md ./
COPY consumer/ consumer/
COPY classifier/ classifier/
COPY models/ models/
COPY samples/ samples/
COPY scripts/publish_samples.py scripts/publish_samples.py
RUN pip install --no-cache-dir . && useradd --system --uid 10001 --no-create-home detente

USER detente
ENV DETENTE_MODEL_DIR=/app/models
EXPOSE 9464
# Ready = broker reachable, partitions assigned, loop polling, model loaded (503 otherwise).
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["python", "-c", "import os, sys, urllib.request; port = os.environ.get('DETENTE_METRICS_PORT', '9464'); sys.exit(urllib.request.urlopen(f'http://127.0.0.1:{port}/readyz', timeout=2).status != 200)"]
ENTRYPOINT ["detente"]
CMD ["serve"]
