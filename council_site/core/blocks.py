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
