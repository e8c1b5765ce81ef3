"""What the day board and the lot page read instead of aggregating every plan, link, deposit
and session on each request (planner/derived.py says what each is derived from; the actions
keep them right from here on), with the indexes that read a screen of each list.

On SQLite the plan's new column is nullable with no default, so it is added in place: a
rebuilt planner_plan would clash with migration 0011's session triggers. The share link
table is rebuilt (times_opened has a default); no trigger refers to it."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from planner.derived import rebuild_all


def backfill(apps, schema_editor):
    """The new rows and columns from the records already there (deposits had no void
    columns yet: migration 0018 adds them)."""
    rebuild_all(schema_editor.connection, deposits_voidable=False)


class Migration(migrations.Migration):
    dependencies = [
        ("clinic", "0011_catalog_version"),
        ("planner", "0016_search_indexes"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="plan",
            name="link_expires_at",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.AddIndex(
            model_name="plan",
            index=models.Index(
                condition=models.Q(("link_expires_at__isnull", False)),
                fields=["status", "link_expires_at", "quoted_at", "id"],
                name="plan_link_expiry_idx",
            ),
        ),
        migrations.AddField(
            model_name="sharelink",
            name="last_opened_at",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name="sharelink",
            name="times_opened",
            field=models.PositiveIntegerField(default=0, editable=False),
        ),
        migrations.AddIndex(
            model_name="sharelink",
            index=models.Index(
                condition=models.Q(
                    ("last_opened_at__isnull", False),
                    ("used_at__isnull", True),
                    ("revoked_at__isnull", True),
                ),
                fields=["-last_opened_at", "-id"],
                name="link_opened_open_idx",
            ),
        ),
        migrations.CreateModel(
            name="DepositBalance",
            fields=[
                (
                    "plan",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="deposit_balance",
                        serialize=False,
                        to="planner.plan",
                    ),
                ),
                ("asked", models.DecimalField(decimal_places=2, max_digits=10)),
                ("received", models.DecimalField(decimal_places=2, max_digits=10)),
                ("currency", models.CharField(max_length=3)),
                ("owed_since", models.DateTimeField(blank=True, null=True)),
            ],
            options={
                "indexes": [
                    models.Index(
                        condition=models.Q(("owed_since__isnull", False)),
                        fields=["owed_since", "plan"],
                        name="deposit_owed_idx",
                    )
                ],
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(("asked__gt", 0)), name="deposit_balance_asked"
                    ),
                    models.CheckConstraint(
                        condition=models.Q(
                            ("owed_since__isnull", True),
                            ("received__lt", models.F("asked")),
                            _connector="OR",
                        ),
                        name="deposit_balance_owed_short",
                    ),
                ],
            },
        ),
        migrations.CreateModel(
            name="LotReach",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "lot",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="clinic.productlot",
                    ),
                ),
                (
                    "patient",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="planner.patient",
                    ),
                ),
                ("patient_name", models.CharField(max_length=200)),
                ("performed", models.PositiveIntegerField(default=0)),
                ("planned", models.PositiveIntegerField(default=0)),
            ],
            options={
                "ordering": ["lot", "patient_name", "patient"],
                "indexes": [
                    models.Index(
                        fields=["lot", "patient_name", "patient"], name="lot_reach_name_idx"
                    )
                ],
                "constraints": [
                    models.UniqueConstraint(fields=("lot", "patient"), name="lot_reach_once"),
                    models.CheckConstraint(
                        condition=models.Q(
                            ("performed__gt", 0), ("planned__gt", 0), _connector="OR"
                        ),
                        name="lot_reach_not_empty",
                    ),
                ],
            },
        ),
        migrations.CreateModel(
            name="LotUse",
            fields=[
                (
                    "lot",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="+",
                        serialize=False,
                        to="clinic.productlot",
                    ),
                ),
                ("patients", models.PositiveIntegerField(default=0)),
                ("performed", models.PositiveIntegerField(default=0)),
                ("planned", models.PositiveIntegerField(default=0)),
            ],
        ),
        migrations.RemoveIndex(model_name="treatmentsession", name="session_lot_used_day_idx"),
        migrations.RemoveIndex(model_name="treatmentsession", name="session_lot_planned_idx"),
        migrations.AddIndex(
            model_name="treatmentsession",
            index=models.Index(
                fields=["lot_used", "status", "performed_on", "id"],
                name="session_lot_used_day_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="treatmentsession",
            index=models.Index(
                fields=["planned_lot", "status", "planned_date", "id"],
                name="session_lot_planned_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="treatmentsession",
            index=models.Index(
                fields=["status", "planned_date", "planned_time"], name="session_board_idx"
            ),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
