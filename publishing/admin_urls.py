"""Admin URLs of the page editor's Social tab (registered in wagtail_hooks)."""

from django.urls import path

from .preview_views import SocialPreviewView

urlpatterns = [
    path(
        "publishing/social-preview/",
        SocialPreviewView.as_view(),
        name="publishing_social_preview",
    ),
]
