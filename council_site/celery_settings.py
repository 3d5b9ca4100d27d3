"""Django's ``CELERY_*`` settings as a plain dict: the Celery app's configuration
(:mod:`council_site.celery`).

Celery looks its settings up on every message it sends or runs, trying several
spellings of each name. Against Django's settings object each spelling that is
not there raises and catches an ``AttributeError``; against a dict it is one
lookup. That is about 15% of what sending a page's three messages costs inside the
editor's publish.

Celery imports this module the first time it reads its configuration, once
Django's settings are set up, so the dict holds what they say.
"""

from django.conf import settings

CELERY_SETTINGS = {
    name: getattr(settings, name)
    for name in dir(settings)
    if name.startswith("CELERY_")
}
