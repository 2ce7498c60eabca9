# The application image (service `bot` in docker-compose.yml). Rasa runs in its own official image.
FROM python:3.11-slim
WORKDIR /app
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
COPY pyproject.toml README.md babel.cfg ./
COPY bot ./bot
RUN pip install --no-cache-dir . \
 && pybabel compile -d bot/locale -D messages
COPY content ./content
ENV CONTENT_DIR=/app/content WEB_HOST=0.0.0.0 WEB_PORT=8080
EXPOSE 8080
HEALTHCHECK --interval=15s --timeout=3s --retries=5 CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8080/healthz')"
CMD ["sh", "-c", "wegweiser db upgrade && exec wegweiser run --no-nlu"]
