"""Connected accounts, the cross-post outbox and the site's social settings.

Nothing a worker computes lives on the Page row or in a ParentalKey child: every
publish rebuilds the page from its revision and would overwrite it. Results live
here, keyed by page and account.
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.contrib.settings.models import BaseSiteSetting, register_setting

from channels import registry
from channels.compose import DEFAULT_TEMPLATE
from channels.values import AppRegistration, Credentials

from .crypto import EncryptedTextField
from .links import allowed_url
from .settings_form import SocialSettingsForm


class ChannelAccount(models.Model):
    """A Facebook Page, X account or YouTube channel the council has connected.

    Tokens are encrypted at rest and never rendered once connected.
    """

    class Usage(models.TextChoices):
        EVERY_PAGE = "every_page", "Every page chosen for it"
        URGENT_ONLY = "urgent_only", "Urgent notices only"
        RETIRED = "retired", "Retired: nothing new is posted"

    class Status(models.TextChoices):
        CONNECTED = "connected", "Connected"
        NEEDS_RECONNECT = "needs_reconnect", "Needs reconnecting"
        DISCONNECTED = "disconnected", "Disconnected"
        CAPPED = "capped", "Paused by the platform's usage cap"

    platform = models.CharField(max_length=20, choices=registry.as_choices)
    display_name = models.CharField(max_length=200)
    remote_id = models.CharField("Account id on the platform", max_length=100)
    access_token = EncryptedTextField(blank=True, editable=False)
    refresh_token = EncryptedTextField(blank=True, editable=False)
    token_expires_at = models.DateTimeField(null=True, blank=True)
    scopes = models.JSONField(default=list, blank=True)
    extra = models.JSONField(
        default=dict, blank=True, help_text="Non-secret details, e.g. the X username."
    )
    picture = models.ForeignKey(
        "wagtailimages.Image",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="The account's picture, as it appears on the platform. Shown in "
        "the page previews; the platform's own copy is never loaded.",
    )
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.CONNECTED
    )
    status_message = models.CharField(max_length=500, blank=True)
    usage = models.CharField(
        "Use",
        max_length=20,
        choices=Usage.choices,
        default=Usage.EVERY_PAGE,
        help_text="Urgent notices only: ordinary pages never go here, and every "
        "urgent announcement does (first in the queue), whatever its page chose; "
        "for an account kept for warn-and-inform messages. Retired: nothing new "
        "is posted and its feed leaves the public site; its history stays.",
    )
    capped_until = models.DateTimeField(
        null=True,
        blank=True,
        editable=False,
        help_text="When the platform's usage cap (X's monthly cap) lets the "
        "account post again; its posts wait until then.",
    )
    connected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    connected_at = models.DateTimeField(default=timezone.now)
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)
    daily_post_cap = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="Most posts a day for this account. Blank: the platform default.",
    )

    class Meta:
        ordering = ["platform", "display_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["platform", "remote_id"], name="one_row_per_remote_account"
            )
        ]
        permissions = [("manage_channels", "Can connect and disconnect accounts")]

    def __str__(self) -> str:
        # The registry's name, not get_platform_display(): that rebuilds the
        # callable choices on every call, and each audit entry names its account.
        return f"{registry.display_name(self.platform)}: {self.display_name}"

    @property
    def is_usable(self) -> bool:
        return self.status == self.Status.CONNECTED

    def credentials(self) -> Credentials:
        return Credentials(
            account_id=self.remote_id,
            access_token=self.access_token,
            refresh_token=self.refresh_token,
            expires_at=self.token_expires_at,
            scopes=tuple(self.scopes),
            extra=dict(self.extra),
        )

    def store_credentials(self, credentials: Credentials) -> None:
        """Save refreshed tokens. A missing refresh token never erases the old one."""
        self.access_token = credentials.access_token
        if credentials.refresh_token:
            self.refresh_token = credentials.refresh_token
        self.token_expires_at = credentials.expires_at
        if credentials.scopes:
            self.scopes = list(credentials.scopes)
        self.save(
            update_fields=[
                "access_token",
                "refresh_token",
                "token_expires_at",
                "scopes",
            ]
        )


class InstanceApp(models.Model):
    """The council's app as a server registered it, for a platform whose
    accounts live on servers of their own (Mastodon instances): registered at
    the first connect on that server, used again by every later one.

    The client secret is encrypted at rest, like tokens, and never shown.
    """

    platform = models.CharField(max_length=20, choices=registry.as_choices)
    instance_url = models.URLField(max_length=300)
    #: The address people are sent back to; an app takes only the ones it was
    #: registered with, so a site reached at another address registers again.
    redirect_uri = models.URLField(max_length=500)
    client_id = models.CharField(max_length=300)
    client_secret = EncryptedTextField(editable=False)
    registered_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["platform", "instance_url", "redirect_uri"],
                name="one_app_per_instance_and_redirect",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_platform_display()} app on {self.instance_url}"

    def registration(self) -> AppRegistration:
        return AppRegistration(self.client_id, self.client_secret)


class CrossPostQuerySet(models.QuerySet):
    def for_page(self, page):
        return self.filter(page_id=page.pk).select_related("account")

    def due(self, now=None):
        """Rows a worker should pick up now (the sweeper's query)."""
        now = now or timezone.now()
        S = CrossPost.State
        not_leased = Q(lease_expires_at__isnull=True) | Q(lease_expires_at__lt=now)
        not_waiting = Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
        return self.filter(
            Q(state__in=CrossPost.QUEUED_STATES) & not_leased & not_waiting
            | Q(state=S.SENDING, lease_expires_at__lt=now)
        )

    def needs_attention(self):
        S = CrossPost.State
        return self.filter(state__in=[S.FAILED, S.HELD, S.NEEDS_RECONNECT])


class CrossPost(models.Model):
    """One page on one account: the outbox row and, once sent, the link back.

    ``operation`` is what the row needs done next (publish, update or retract);
    ``state`` is where it is. A worker claims a row by taking its lease, so two
    workers never send the same row.
    """

    class State(models.TextChoices):
        HELD = "held", "Held for approval"
        PENDING = "pending", "Waiting to send"
        SENDING = "sending", "Sending"
        POSTED = "posted", "Posted"
        RETRYING = "retrying", "Will retry"
        FAILED = "failed", "Failed"
        NEEDS_RECONNECT = "needs_reconnect", "Waiting for reconnection"
        CANCELLED = "cancelled", "Cancelled"
        UPDATING = "updating", "Updating"
        RETRACTING = "retracting", "Retracting"
        RETRACTED = "retracted", "Retracted"

    class Operation(models.TextChoices):
        PUBLISH = "publish", "Publish"
        #: An earlier attempt may have posted without an answer: look first.
        RECONCILE = "reconcile", "Look for the post, then publish"
        UPDATE = "update", "Update"
        RETRACT = "retract", "Retract"
        #: Take the post down, then post it anew (published again meanwhile).
        REPOST = "repost", "Retract, then post again"

    FINAL_STATES = {State.POSTED, State.FAILED, State.CANCELLED, State.RETRACTED}
    #: States a worker picks up once any lease has lapsed and any wait is over.
    QUEUED_STATES = {State.PENDING, State.UPDATING, State.RETRACTING, State.RETRYING}
    # Every index is written again whenever a delivery moves a row's state,
    # twice a post, so none is kept that another already serves (the page's and
    # the account's lookups use the composite indexes in Meta that start with
    # them) or that only deleting a user would read (published_by, reviewed_by).
    page = models.ForeignKey(
        "wagtailcore.Page",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="crossposts",
        db_index=False,
    )
    account = models.ForeignKey(
        ChannelAccount,
        on_delete=models.PROTECT,
        related_name="crossposts",
        db_index=False,
    )
    platform = models.CharField(max_length=20, choices=registry.as_choices)
    revision = models.ForeignKey(
        "wagtailcore.Revision",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    idempotency_key = models.CharField(max_length=100)
    page_title = models.CharField(max_length=255)
    department = models.CharField(max_length=120, blank=True)
    urgent = models.BooleanField(default=False)

    # What is (or was last) sent, exactly: for previews, audits and FOI requests.
    text = models.TextField()
    link = models.URLField(max_length=500)
    marker = models.URLField(
        max_length=500, help_text="The page's canonical URL, found in the post."
    )
    media = models.JSONField(default=dict, blank=True)
    content_hash = models.CharField(max_length=64)
    posted_hash = models.CharField(max_length=64, blank=True)

    operation = models.CharField(
        max_length=10, choices=Operation.choices, default=Operation.PUBLISH
    )
    state = models.CharField(max_length=20, choices=State.choices)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    lease_owner = models.CharField(max_length=100, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    sent_hash = models.CharField(
        max_length=64,
        blank=True,
        help_text="The content hash of what the latest attempt to post sent: a "
        "post found after its answer was lost carries that text.",
    )
    retrying_since = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When the operation's first temporary fault came: it is retried "
        "until CROSSPOST_RETRY_WINDOW_SECONDS have passed since.",
    )
    approved_hash = models.CharField(
        max_length=64,
        blank=True,
        help_text="The content hash a comms manager approved: an approval covers "
        "exactly that content.",
    )
    edited_from = models.TextField(
        blank=True,
        help_text="The text as the page gave it, when the comms manager who "
        "approved the post edited it (the row's text is what was sent).",
    )
    upload_session = EncryptedTextField(
        blank=True,
        editable=False,
        help_text="The resumable upload session the latest attempt opened (its "
        "address can carry credentials): a later attempt asks it how the upload "
        "ended before searching the account's posts.",
    )
    retracted_remote_ids = models.JSONField(
        default=list,
        blank=True,
        help_text="This row's earlier posts, taken down or refused by the platform "
        "after it made them: never adopted as a new one (a video made private keeps "
        "its page's link).",
    )
    processing_since = models.DateTimeField(
        null=True,
        blank=True,
        help_text="Since when the platform has been processing the row's post "
        "(YouTube encodes a video after its upload, and may reject it then); empty "
        "once it is processed, refused or taken down, or no longer followed.",
    )
    processing_check_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When the platform is next asked how its processing of the post "
        "goes.",
    )

    remote_id = models.CharField(max_length=200, blank=True)
    permalink = models.URLField(max_length=500, blank=True)
    last_error = models.TextField(blank=True)
    last_error_kind = models.CharField(max_length=20, blank=True)
    guard_findings = models.JSONField(default=list, blank=True)

    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    review_reason = models.TextField(blank=True)

    likes = models.PositiveIntegerField(null=True, blank=True)
    shares = models.PositiveIntegerField(null=True, blank=True)
    comments = models.PositiveIntegerField(null=True, blank=True)
    views = models.PositiveIntegerField(null=True, blank=True)
    metrics_updated_at = models.DateTimeField(null=True, blank=True)

    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    posted_at = models.DateTimeField(null=True, blank=True, db_index=True)
    retracted_at = models.DateTimeField(null=True, blank=True)

    objects = CrossPostQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["page", "account"], name="one_crosspost_per_page_and_account"
            ),
            # A constraint rather than ``unique=True``, which on PostgreSQL adds
            # a second index for LIKE queries that nothing runs on this key.
            models.UniqueConstraint(
                fields=["idempotency_key"], name="one_crosspost_per_idempotency_key"
            ),
        ]
        indexes = [
            models.Index(fields=["state", "next_attempt_at"]),
            models.Index(fields=["platform", "state"]),
            models.Index(fields=["account", "posted_at"]),
            models.Index(fields=["department", "created_at"]),
            # Only the few rows whose post the platform is processing: the
            # follow-up's query, every minute.
            models.Index(
                fields=["processing_check_at"],
                condition=Q(processing_check_at__isnull=False),
                name="crosspost_processing_check",
            ),
        ]
        permissions = [
            ("approve_crosspost", "Can approve or reject held cross-posts"),
            ("retry_crosspost", "Can retry, cancel and retract cross-posts"),
        ]

    def __str__(self) -> str:
        return f"{self.page_title} on {self.account}"

    @property
    def link_to_post(self) -> str:
        """The permalink if it is on the platform's own hosts, else "": the
        platform sets it, so it is checked before it becomes a link. A post
        taken down has none: its address leads nowhere now (the record keeps
        it: ``permalink``, the FOI export)."""
        if self.state == self.State.RETRACTED:
            return ""
        return allowed_url(self.platform, self.permalink)

    @property
    def is_final(self) -> bool:
        return self.state in self.FINAL_STATES

    @property
    def is_processing(self) -> bool:
        """Posted, and the platform was still processing the post when it last
        said (YouTube encoding a video): it may yet refuse it."""
        return self.state == self.State.POSTED and self.processing_since is not None

    @property
    def queue(self) -> str:
        return "uploads" if self.media.get("video") else "crosspost"


class WorkerHeartbeat(models.Model):
    """The last time each Celery worker answered, so a stopped worker is visible
    on the dashboard instead of failing silently."""

    hostname = models.CharField(max_length=200, primary_key=True)
    seen_at = models.DateTimeField()
    #: When the worker last started (its ``worker_ready``), so a sweeper that
    #: has never run is not called stopped while beat has had no time to send it.
    started_at = models.DateTimeField(null=True, blank=True)
    #: The queues the worker takes, comma-separated ("crosspost,celery"), so a
    #: queue no live worker takes (video uploads on a worker of their own that
    #: stopped) shows too. Empty on rows noted before workers said: taken as all.
    queues = models.CharField(max_length=200, blank=True, default="")

    def __str__(self) -> str:
        return f"{self.hostname} at {self.seen_at:%H:%M:%S}"


class PeriodicRun(models.Model):
    """When a periodic task last ran. The sweeper notes itself here: without it
    (Celery beat stopped) retries and posts the broker lost are never sent, and
    the dashboard and ``manage.py crossposts`` say so instead of waiting silently."""

    name = models.CharField(max_length=100, primary_key=True)
    ran_at = models.DateTimeField()

    SWEEP = "sweep-crossposts"

    def __str__(self) -> str:
        return f"{self.name} at {self.ran_at:%H:%M:%S}"

    @classmethod
    def note(cls, name: str) -> None:
        cls.objects.update_or_create(name=name, defaults={"ran_at": timezone.now()})

    @classmethod
    def last(cls, name: str):
        """When ``name`` last ran, or ``None``."""
        return cls.objects.filter(name=name).values_list("ran_at", flat=True).first()


@register_setting(icon="site")
class SocialSettings(BaseSiteSetting):
    """How pages are cross-posted by default. Secrets never go here."""

    default_accounts = models.ManyToManyField(
        ChannelAccount,
        blank=True,
        related_name="+",
        help_text="Accounts a page is posted to unless its editor chooses others.",
    )
    # Each template's label and help come from its platform's adapter
    # (settings_form.describe_templates).
    facebook_template = models.TextField(
        default="{title}\n\n{summary}\n\n{link}\n\n{hashtags}"
    )
    x_template = models.TextField(default="{title}: {summary} {link} {hashtags}")
    youtube_description_template = models.TextField(
        default="{summary}\n\nRead more: {link}\n\n{hashtags}"
    )
    bluesky_template = models.TextField(default=DEFAULT_TEMPLATE)
    mastodon_template = models.TextField(default=DEFAULT_TEMPLATE)
    add_utm_tags = models.BooleanField(
        "Add UTM tags",
        default=True,
        help_text="Add utm_source, utm_medium and utm_campaign to links so "
        "analytics show which platform a visitor came from.",
    )
    utm_campaign = models.CharField(
        "UTM campaign",
        max_length=60,
        blank=True,
        default="council-social",
        help_text="The utm_campaign of every link posted.",
    )

    #: The message template field of each platform that has one. A field is a
    #: column, so a new platform uses its adapter's default template until one
    #: is added here (with its migration). The settings screen shows those of
    #: the enabled platforms (:class:`~publishing.settings_form.SocialSettingsForm`).
    TEMPLATE_FIELDS = {
        "facebook": "facebook_template",
        "x": "x_template",
        "youtube": "youtube_description_template",
        "bluesky": "bluesky_template",
        "mastodon": "mastodon_template",
    }

    base_form_class = SocialSettingsForm
    panels = [
        FieldPanel("default_accounts", widget=forms.CheckboxSelectMultiple),
        MultiFieldPanel(
            [FieldPanel(field) for field in TEMPLATE_FIELDS.values()],
            heading="Message templates",
        ),
        MultiFieldPanel(
            [FieldPanel("add_utm_tags"), FieldPanel("utm_campaign")],
            heading="Link tracking",
        ),
    ]

    class Meta:
        verbose_name = "Social publishing"

    def template_for(self, platform: str) -> str:
        """The site's message template for ``platform``, or its adapter's."""
        field = self.TEMPLATE_FIELDS.get(platform)
        if field is None:
            return registry.get(platform).default_template
        return getattr(self, field)


class SocialFeed(models.Model):
    """The last good copy of an account's public feed, for the site's own pages.

    Items are sanitised before they are stored; a failed fetch keeps the last
    good items and records the error, so visitors still see the feed.
    """

    account = models.OneToOneField(
        ChannelAccount, on_delete=models.CASCADE, related_name="feed"
    )
    items = models.JSONField(default=list, blank=True)
    fetched_at = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    #: The posts of the last refresh that could not be stored: ``id`` and
    #: ``reason`` each.
    skipped_items = models.JSONField(default=list, blank=True)

    def __str__(self) -> str:
        return f"Feed of {self.account}"


@register_setting(icon="warning")
class ProtocolSettings(BaseSiteSetting):
    """The council's online protocol guidelines, edited by comms managers.

    A post that breaks a rule is held for a comms manager's approval.
    """

    check_email_addresses = models.BooleanField(default=True)
    check_phone_numbers = models.BooleanField("Check UK phone numbers", default=True)
    check_ni_numbers = models.BooleanField(
        "Check National Insurance numbers", default=True
    )
    check_nhs_numbers = models.BooleanField("Check NHS numbers", default=True)
    check_card_numbers = models.BooleanField(
        "Check payment card numbers",
        default=True,
        help_text="13 to 19 digits that pass the card check digit.",
    )
    check_bank_details = models.BooleanField(
        "Check bank details",
        default=True,
        help_text="A sort code with an account number near it.",
    )
    check_home_addresses = models.BooleanField(
        "Check home addresses",
        default=True,
        help_text="A house number and street with a postcode in the same phrase. "
        "A postcode on its own is fine.",
    )
    check_dates_of_birth = models.BooleanField(
        "Check dates of birth",
        default=True,
        help_text='A date written as one, such as "DOB 12/03/1987" or "born on '
        '12 March 1987". Other dates are fine.',
    )
    allowed_phone_numbers = models.TextField(
        "Council phone numbers",
        blank=True,
        help_text="The council's own published phone numbers, one a line, written "
        "any way (01632 960000, +44 1632 960000). Posts giving them are never held "
        "for them.",
    )
    allowed_email_addresses = models.TextField(
        "Council email addresses and domains",
        blank=True,
        help_text="The council's own published email addresses, one a line "
        "(contact@exampleshire.gov.uk). A line with a domain alone "
        "(exampleshire.gov.uk) allows every address at that domain, but not at its "
        "subdomains. Posts giving them are never held for them.",
    )
    protective_markings = models.TextField(
        default="OFFICIAL-SENSITIVE\nOFFICIAL SENSITIVE\nSECRET\nTOP SECRET\n"
        "RESTRICTED\nCONFIDENTIAL",
        blank=True,
        help_text="One marking per line. Posts containing one are held.",
    )
    embargo_words = models.TextField(
        default="EMBARGOED\nEMBARGO\nNOT FOR PUBLICATION",
        blank=True,
        help_text="One word or phrase per line.",
    )
    blocklist = models.TextField(
        blank=True, help_text="Words or phrases the council never posts; one a line."
    )
    require_alt_text = models.BooleanField(
        default=True, help_text="Hold posts with an image that has no alt text."
    )
    purdah_starts = models.DateField(
        "Pre-election period starts", null=True, blank=True
    )
    purdah_ends = models.DateField("Pre-election period ends", null=True, blank=True)
    political_terms = models.TextField(
        default="election\ncandidate\ncouncillor\nmanifesto\nvote\nparty",
        blank=True,
        help_text="During the pre-election period, posts with these words are held.",
    )
    publisher_cannot_approve = models.BooleanField(
        "The person who published a page cannot approve its held post",
        default=True,
        help_text="A second person checks what the guard held (four eyes). This "
        "applies to administrators too.",
    )

    panels = [
        MultiFieldPanel(
            [
                FieldPanel("check_email_addresses"),
                FieldPanel("check_phone_numbers"),
                FieldPanel("check_ni_numbers"),
                FieldPanel("check_nhs_numbers"),
                FieldPanel("check_card_numbers"),
                FieldPanel("check_bank_details"),
                FieldPanel("check_home_addresses"),
                FieldPanel("check_dates_of_birth"),
                FieldPanel("require_alt_text"),
            ],
            heading="Personal data and accessibility",
        ),
        MultiFieldPanel(
            [
                FieldPanel("allowed_phone_numbers"),
                FieldPanel("allowed_email_addresses"),
            ],
            heading="Allowed contacts",
        ),
        MultiFieldPanel(
            [
                FieldPanel("protective_markings"),
                FieldPanel("embargo_words"),
                FieldPanel("blocklist"),
            ],
            heading="Words that hold a post",
        ),
        MultiFieldPanel(
            [
                FieldPanel("purdah_starts"),
                FieldPanel("purdah_ends"),
                FieldPanel("political_terms"),
            ],
            heading="Pre-election period (purdah)",
        ),
        FieldPanel("publisher_cannot_approve", heading="Approving held posts"),
    ]

    class Meta:
        verbose_name = "Online protocol"


class Alert(models.Model):
    """Something a comms manager is told of by email: a post failed or was held,
    an account needs reconnecting, or its token runs out soon.

    One row per person told, so each person's emails are batched on their own
    (:mod:`publishing.alerts`): ``sent_at`` is empty while the alert waits for
    that person's next email, and ``sent_to`` keeps the address it went to.
    """

    class Kind(models.TextChoices):
        FAILED = "failed", "Post failed"
        HELD = "held", "Post held for approval"
        NEEDS_RECONNECT = "needs_reconnect", "Account needs reconnecting"
        TOKEN_EXPIRING = "token_expiring", "Token expires soon"
        ACCOUNT_CAPPED = "account_capped", "Account paused by a usage cap"

    kind = models.CharField(max_length=20, choices=Kind.choices)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    crosspost = models.ForeignKey(
        CrossPost,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    account = models.ForeignKey(
        ChannelAccount,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    #: What happened, in the words of the moment (the platform's, the guard's).
    message = models.TextField(blank=True)
    #: The token expiry a ``token_expiring`` alert is about: one alert a person
    #: for each expiry, however often the daily check runs.
    token_expires_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    sent_to = models.EmailField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["recipient", "sent_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "account", "token_expires_at"],
                condition=Q(kind="token_expiring"),
                name="one_token_alert_per_person_and_expiry",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for {self.recipient}"
