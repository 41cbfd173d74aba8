"""Make sure a local editor account exists, for `make run` on a developer's machine.

Refuses to run unless DEBUG is on: a known password must never exist in production. The account
is what an editor really is (staff in the "Szerkesztő" group), not a superuser: trying the
admin locally shows what editors see, without users, groups or login lockouts.
"""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError

USERNAME = "szerkeszto"
PASSWORD = "szerkeszto"  # noqa: S105  (local development only; refused without DEBUG)
EDITOR_GROUP = "Szerkesztő"  # made by migration 0003_editor_group


class Command(BaseCommand):
    help = "Create the local editor account (DEBUG only) and print how to log in."

    def handle(self, *args, **options) -> None:
        if not settings.DEBUG:
            raise CommandError(
                "create_local_editor only runs with DJANGO_DEBUG=1 (local development)."
            )
        User = get_user_model()
        user, created = User.objects.get_or_create(username=USERNAME, defaults={"email": ""})
        if created:
            user.set_password(PASSWORD)
        user.is_staff = True
        user.is_superuser = False
        user.save()
        group = Group.objects.filter(name=EDITOR_GROUP).first()
        if group is None:
            raise CommandError(f"The {EDITOR_GROUP!r} group is missing: run migrate first.")
        user.groups.add(group)
        state = "created" if created else "exists"
        self.stdout.write(
            self.style.SUCCESS(
                f"Editor account {state}: log in at http://127.0.0.1:8000/admin/ "
                f"as {USERNAME!r}" + (f" with password {PASSWORD!r}" if created else "")
            )
        )
