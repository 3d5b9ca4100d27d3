"""The social image's rendition: asked of Wagtail once, then remembered by what
it is made from, so later publishes read neither the cache nor the database."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from wagtail.images.tests.utils import get_test_image_file

from publishing import content


@pytest.fixture
def rendition_asks(monkeypatch):
    """Each image id ``get_rendition`` is asked for, in order."""
    from wagtail.images import get_image_model

    model = get_image_model()
    asked, original = [], model.get_rendition

    def counting(image, spec):
        asked.append(image.pk)
        return original(image, spec)

    monkeypatch.setattr(model, "get_rendition", counting)
    content._rendition_paths.clear()
    # Wagtail's cached renditions name images by id, and ids are reused once an
    # earlier test's rows are rolled back.
    cache.clear()
    return asked


def _fresh(page):
    """The page as the next publish has it: a new copy, its image loaded anew."""
    copy = type(page).objects.get(pk=page.pk)
    copy.hero_image  # noqa: B018 - loaded, as the publish's one read loads it
    return copy


@pytest.mark.django_db
def test_a_rendition_is_asked_for_once(
    site, make_announcement, rendition_asks, django_assert_num_queries
):
    page = make_announcement(with_video=False, live=False)
    first = content.page_images(page)
    again = _fresh(page)

    with django_assert_num_queries(0):
        second = content.page_images(again)

    assert rendition_asks == [page.hero_image_id]
    assert second == first
    (image,) = first
    assert image.path.exists() and image.path.suffix == ".jpg"
    assert image.alt_text == "A bin lorry on a terraced street"


@pytest.mark.django_db
def test_a_remembered_rendition_that_was_deleted_is_made_again(
    site, make_announcement, rendition_asks
):
    page = make_announcement(with_video=False, live=False)
    (first,) = content.page_images(page)
    page.hero_image.renditions.all().delete()
    first.path.unlink()
    cache.clear()  # Wagtail's own copy of the rendition

    (second,) = content.page_images(_fresh(page))

    assert rendition_asks == [page.hero_image_id, page.hero_image_id]
    assert second.path.exists()


@pytest.mark.django_db
def test_a_new_file_for_the_image_gets_its_own_rendition(
    site, make_announcement, rendition_asks
):
    page = make_announcement(with_video=False, live=False)
    (first,) = content.page_images(page)
    image = page.hero_image
    image.file = get_test_image_file(filename="replaced.png", colour="red")
    image._set_file_hash()
    image.save()
    image.renditions.all().delete()  # as Wagtail's image editor does
    cache.clear()

    (second,) = content.page_images(_fresh(page))

    assert rendition_asks == [image.pk, image.pk]
    assert second.path != first.path
    assert second.path.exists()
