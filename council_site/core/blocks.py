"""StreamField blocks for page bodies."""

from wagtail import blocks
from wagtail.documents.blocks import DocumentChooserBlock
from wagtail.images.blocks import ImageBlock


class CallToActionBlock(blocks.StructBlock):
    text = blocks.CharBlock(max_length=80)
    url = blocks.URLBlock()

    class Meta:
        icon = "link"
        template = "includes/blocks/call_to_action.html"


class DocumentLinkBlock(blocks.StructBlock):
    title = blocks.CharBlock(required=False, help_text="Defaults to the file's title.")
    document = DocumentChooserBlock()

    class Meta:
        icon = "doc-full"
        template = "includes/blocks/document_link.html"


def connected_account_choices() -> list[tuple[str, str]]:
    """The accounts an editor can show a feed of (read when the form is built)."""
    from publishing.models import ChannelAccount

    return [
        (str(account.pk), str(account))
        for account in ChannelAccount.objects.filter(
            status=ChannelAccount.Status.CONNECTED
        )
    ]


class AccountChoiceBlock(blocks.MultipleChoiceBlock):
    """Accounts chosen by their ids, which are kept as stored.

    Wagtail matches each stored value against the choices when a page is read,
    which would ask the database for the connected accounts on every view of
    a page with a feed. The ids are stored as the choices' own keys (strings),
    so there is nothing to match; the form still offers and checks only
    connected accounts, and the feed shows only connected ones.
    """

    def normalize_choice(self, value):
        return None if value is None else str(value)


class SocialFeedBlock(blocks.StructBlock):
    """The council's recent posts, copied by the site: no platform widget loads."""

    heading = blocks.CharBlock(max_length=80, default="Latest from our social media")
    accounts = AccountChoiceBlock(
        choices=connected_account_choices,
        required=False,
        help_text="Leave empty to show every connected account.",
    )
    count = blocks.IntegerBlock(
        min_value=1, max_value=10, default=3, help_text="Posts shown per account."
    )

    class Meta:
        icon = "list-ul"
        template = "includes/blocks/social_feed.html"


class BodyBlock(blocks.StreamBlock):
    heading = blocks.CharBlock(
        form_classname="title", icon="title", template="includes/blocks/heading.html"
    )
    paragraph = blocks.RichTextBlock(
        features=["bold", "italic", "link", "ol", "ul", "document-link"]
    )
    image = ImageBlock()
    quote = blocks.BlockQuoteBlock()
    call_to_action = CallToActionBlock()
    document = DocumentLinkBlock()
    social_feed = SocialFeedBlock()
