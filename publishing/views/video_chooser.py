"""A document chooser that offers video files only, for a page's YouTube video.

Videos are Wagtail documents (YouTube takes the file as it is); choosing one
among every PDF and spreadsheet the council has uploaded was the editor's
problem. This is Wagtail's own document chooser, uploads included, with its
listing narrowed to the file types YouTube takes.
"""

from __future__ import annotations

from functools import reduce
from operator import or_

from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from wagtail.documents import get_document_model_string
from wagtail.documents.views.chooser import (
    DocumentChooseResultsView,
    DocumentChooserViewSet,
    DocumentChooseView,
)

#: The file types the page accepts as its video (its ``clean`` says so too).
VIDEO_EXTENSIONS = (".mp4", ".mov", ".webm", ".m4v")


class VideosOnlyMixin:
    def get_object_list(self):
        is_video = reduce(
            or_, (Q(file__iendswith=extension) for extension in VIDEO_EXTENSIONS)
        )
        return super().get_object_list().filter(is_video)


class VideoChooseView(VideosOnlyMixin, DocumentChooseView):
    pass


class VideoChooseResultsView(VideosOnlyMixin, DocumentChooseResultsView):
    pass


class VideoChooserViewSet(DocumentChooserViewSet):
    choose_view_class = VideoChooseView
    choose_results_view_class = VideoChooseResultsView
    icon = "media"
    choose_one_text = _("Choose a video")
    choose_another_text = _("Choose another video")
    edit_item_text = _("Edit this video")


viewset = VideoChooserViewSet(
    "publishing_video_chooser",
    model=get_document_model_string(),
    url_prefix="social/video-chooser",
)
VideoChooser = viewset.widget_class
