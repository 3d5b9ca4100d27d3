"""Shared by the proof tests in tests/proof/ and tests/publishing/test_proof_*.py."""

from __future__ import annotations

from wagtail.images import get_image_model
from wagtail.images.models import Filter

from publishing.content import IMAGE_RENDITION


def forget_cached_rendition(image) -> None:
    """Drop the social rendition of ``image`` from the shared cache.

    The test settings keep Django's file cache in ``var/cache`` for every test
    run, and a rendition's cache key is the image's id and file hash: another
    run's cached rendition (whose file lives under that run's MEDIA_ROOT) would
    otherwise be taken for this run's, and the post would fail with "image file
    missing".
    """
    rendition_model = get_image_model().get_rendition_model()
    spec = Filter(spec=IMAGE_RENDITION)
    key = rendition_model.construct_cache_key(
        image, spec.get_cache_key(image), IMAGE_RENDITION
    )
    rendition_model.cache_backend.delete(key)
