"""Turn DRF authtoken's plaintext tokens into ApiToken digests, then drop its table.

Issued tokens keep working: a token is looked up by the SHA-256 of its text, whatever its length.
rest_framework.authtoken is no longer installed, so its table is read with plain SQL when it
exists (a database migrated before this change) and then dropped with its migration records and
content types: no plaintext token is left behind, and were the app installed again its migrations
would create the table anew.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from django.db import migrations
from django.utils.dateparse import parse_datetime

TABLE = "authtoken_token"


def tokens_from_authtoken(apps: Any, schema_editor: Any) -> None:
    connection = schema_editor.connection
    if TABLE not in connection.introspection.table_names():
        return
    ApiToken = apps.get_model("accounts", "ApiToken")
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT key, user_id, created FROM {TABLE}")  # noqa: S608 - a constant
        rows = cursor.fetchall()
    ApiToken.objects.bulk_create(
        ApiToken(
            user_id=user_id,
            name="issued before tokens were hashed",
            prefix=key[:8],
            digest=hashlib.sha256(key.encode()).hexdigest(),
            created_at=_aware(created),
        )
        for key, user_id, created in rows
    )
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {TABLE}")  # noqa: S608 - a constant
        cursor.execute(f"DROP TABLE {TABLE}")
        cursor.execute("DELETE FROM django_migrations WHERE app = %s", ["authtoken"])
    apps.get_model("contenttypes", "ContentType").objects.filter(app_label="authtoken").delete()


def _aware(value: Any) -> dt.datetime:
    """SQLite hands the raw column back as naive text in UTC; PostgreSQL as an aware datetime."""
    if isinstance(value, str):
        value = parse_datetime(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_api_token"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(tokens_from_authtoken, migrations.RunPython.noop)]
