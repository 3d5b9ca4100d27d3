import pytest
from wagtail.models import Page, Site

from tests.factories import (
    HomePageFactory,
    NewsIndexPageFactory,
    PolicyIndexPageFactory,
)


@pytest.fixture
def site_tree(db):
    """Home, policy index and news index under Wagtail's root, as the default site."""
    root = Page.get_first_root_node()
    home = HomePageFactory(parent=root, slug="council-home")
    Site.objects.update_or_create(
        is_default_site=True,
        defaults={"hostname": "localhost", "root_page": home, "port": 80},
    )
    policies = PolicyIndexPageFactory(parent=home, slug="policies")
    news = NewsIndexPageFactory(parent=home, slug="news")
    return {"home": home, "policies": policies, "news": news}
