FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    DJANGO_SETTINGS_MODULE=council_site.settings.production
WORKDIR /app

RUN useradd --create-home council
COPY pyproject.toml README.md ./
COPY council_site council_site
COPY publishing publishing
COPY channels channels
COPY sandbox sandbox
COPY benchmarks benchmarks
COPY templates templates
COPY static static
COPY manage.py ./
RUN pip install --no-cache-dir . \
    && DJANGO_SECRET_KEY=build DJANGO_ALLOWED_HOSTS=build SITE_URL=http://build \
       TOKEN_ENCRYPTION_KEY=build \
       DATABASE_URL=sqlite:////tmp/build.db REDIS_URL=redis://build \
       FACEBOOK_APP_ID=build FACEBOOK_APP_SECRET=build X_CLIENT_ID=build \
       X_CLIENT_SECRET=build GOOGLE_CLIENT_ID=build GOOGLE_CLIENT_SECRET=build \
       python manage.py collectstatic --noinput \
    && mkdir -p var/media \
    && chown -R council:council var
USER council
EXPOSE 8000
CMD ["gunicorn", "council_site.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3"]
