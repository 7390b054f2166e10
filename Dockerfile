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
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:9464/readyz', timeout=2).status == 200 else 1)"
ENTRYPOINT ["detente"]
CMD ["serve"]
