"""The registry is the one list of platforms: a channel added in settings with
its adapter is offered, previewed and composed for, with nothing else changed."""

from __future__ import annotations

import pytest
from django.test import RequestFactory

from channels.facebook import FacebookAdapter
from publishing import content
from publishing.models import ChannelAccount, CrossPost
from publishing.preview_views import channel_preview


class NoticeboardAdapter(FacebookAdapter):
    """A platform that the publishing code has never heard of."""

    id = "noticeboard"
    name = "Parish Noticeboard"
    max_text_length = 500


@pytest.fixture
def noticeboard(settings):
    settings.SOCIAL_CHANNELS = {
        **settings.SOCIAL_CHANNELS,
        "noticeboard": {
            **settings.SOCIAL_CHANNELS["facebook"],
            "BACKEND": f"{__name__}.NoticeboardAdapter",
        },
    }


def test_model_and_filter_choices_come_from_the_registry(noticeboard):
    for model in (ChannelAccount, CrossPost):
        choices = model._meta.get_field("platform").choices
        assert ("noticeboard", "Parish Noticeboard") in choices
        assert ("x", "X") in choices


def test_a_new_platform_is_a_preview_mode_and_is_composed_with_its_default(
    noticeboard, make_policy, django_user_model
):
    page = make_policy(summary="Bins go out on Tuesday.")
    social, protocol, _ = content.publishing_inputs(page, default_accounts=False)

    assert ("noticeboard", "Parish Noticeboard") in page.preview_modes
    post = content.build_post(page, "noticeboard", social)
    assert post.text.startswith(f"{page.title}\n\nBins go out on Tuesday.")
    assert post.link in post.text

    preview = channel_preview(page, "noticeboard", social, protocol)
    assert (preview["name"], preview["limit"]) == ("Parish Noticeboard", 500)
    assert preview["text"] == post.text

    request = RequestFactory().get("/")
    request.user = django_user_model.objects.create_superuser("p", password="x")
    response = page.make_preview_request(request, "noticeboard")
    response.render()
    assert (
        "Exactly what will be sent to Parish Noticeboard" in response.content.decode()
    )
