from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts and roles")

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from . import checks, schema  # noqa: F401  (registers the deploy check and the OpenAPI auth extension)
        from .middleware import session_activity_start

        user_logged_in.connect(session_activity_start, dispatch_uid="accounts-session-activity-start")
