from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ArticlesConfig(AppConfig):
    name = "articles"
    verbose_name = _("Cikkek")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from articles import signals  # noqa: F401  (connects the receivers)
        from articles.db_triggers import ensure_after_migrate

        # A migration that rebuilds a SQLite table drops its triggers: put them back.
        post_migrate.connect(ensure_after_migrate, sender=self, dispatch_uid="cikk.triggers")
