from django.db import migrations, models


def first_posts_changed_in_flight(apps, schema_editor):
    """Rows that earlier versions left as an update of a post never confirmed
    (the page changed while its first post was being sent): they are first
    posts again, looked for before sending, and updated if found."""
    CrossPost = apps.get_model("publishing", "CrossPost")
    rows = CrossPost.objects.filter(operation="update", remote_id="")
    rows.filter(state="updating").update(state="pending")
    rows.update(operation="publish", outcome_unknown=True, update_if_found=True)


class Migration(migrations.Migration):

    dependencies = [
        ("publishing", "0007_publish_again_during_retraction"),
    ]

    operations = [
        migrations.AddField(
            model_name="crosspost",
            name="update_if_found",
            field=models.BooleanField(
                default=False,
                help_text="The page changed after an attempt that left no answer: "
                "a post that attempt made carries older text, so once found it is "
                "updated.",
            ),
        ),
        migrations.RunPython(first_posts_changed_in_flight, migrations.RunPython.noop),
    ]
