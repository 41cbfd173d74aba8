"""The "Szerkesztő" (editor) group: everything an editor needs, nothing of user management.

Permissions are created here first: on a fresh database they do not exist yet while migrate
runs (Django makes them in post_migrate), and the group must not end up empty.
"""

from django.db import migrations

GROUP_NAME = "Szerkesztő"

# (app_label, codename). Editors write and release articles (release = change), manage the
# authors, tags and bylines of articles, and may read the revision history; they may not
# delete articles, authors or tags, nor touch users and groups.
EDITOR_PERMISSIONS = [
    *(
        ("articles", f"{action}_{model}")
        for model in ("article", "author", "tag", "byline")
        for action in ("view", "add", "change")
    ),
    ("articles", "delete_byline"),
    ("reversion", "view_revision"),
    ("reversion", "view_version"),
]


def create_editor_group(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    for label in {app_label for app_label, _ in EDITOR_PERMISSIONS}:
        app_config = apps.get_app_config(label)
        # Historical app configs have no models module; create_permissions skips those.
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=GROUP_NAME)
    wanted = []
    for app_label, codename in EDITOR_PERMISSIONS:
        wanted.append(Permission.objects.get(content_type__app_label=app_label, codename=codename))
    group.permissions.add(*wanted)


def remove_editor_group(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Group.objects.filter(name=GROUP_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0002_search"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("reversion", "0002_add_index_on_version_for_content_type_and_db"),
    ]

    operations = [migrations.RunPython(create_editor_group, remove_editor_group)]
