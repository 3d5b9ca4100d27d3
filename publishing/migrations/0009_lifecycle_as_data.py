from django.db import migrations, models


def flags_to_places(apps, schema_editor):
    """The old flags become the places of the lifecycle table: a first post
    an attempt may have made without an answer is reconciled (looked for
    first), a post to send again after its retraction is a repost, and a post
    to be updated once found is recorded as carrying text other than the
    row's (its ``sent_hash`` is unknown)."""
    CrossPost = apps.get_model("publishing", "CrossPost")
    CrossPost.objects.filter(operation="publish", outcome_unknown=True).update(
        operation="reconcile"
    )
    CrossPost.objects.filter(update_if_found=True).update(sent_hash="unknown")
    CrossPost.objects.filter(
        operation="retract", post_again_after_retraction=True
    ).update(operation="repost")
    # A row left sending had sent what it holds as far as anyone knows.
    CrossPost.objects.filter(state="sending", update_if_found=False).update(
        sent_hash=models.F("content_hash")
    )


class Migration(migrations.Migration):
    # PostgreSQL refuses to alter a table in the transaction that updated its
    # rows (their deferred foreign-key checks are still pending), so the rows
    # are moved, and committed, before the flags' columns are dropped.
    atomic = False

    dependencies = [
        ("publishing", "0008_update_post_found_after_change"),
    ]

    operations = [
        migrations.AddField(
            model_name="crosspost",
            name="sent_hash",
            field=models.CharField(
                blank=True,
                help_text="The content hash of what the latest attempt to post "
                "sent: a post found after its answer was lost carries that text.",
                max_length=64,
            ),
        ),
        migrations.AddField(
            model_name="crosspost",
            name="approved_hash",
            field=models.CharField(
                blank=True,
                help_text="The content hash a comms manager approved: an approval "
                "covers exactly that content.",
                max_length=64,
            ),
        ),
        migrations.AlterField(
            model_name="crosspost",
            name="operation",
            field=models.CharField(
                choices=[
                    ("publish", "Publish"),
                    ("reconcile", "Look for the post, then publish"),
                    ("update", "Update"),
                    ("retract", "Retract"),
                    ("repost", "Retract, then post again"),
                ],
                default="publish",
                max_length=10,
            ),
        ),
        migrations.RunPython(flags_to_places, migrations.RunPython.noop),
        migrations.RemoveField(model_name="crosspost", name="outcome_unknown"),
        migrations.RemoveField(model_name="crosspost", name="update_if_found"),
        migrations.RemoveField(
            model_name="crosspost", name="post_again_after_retraction"
        ),
    ]
