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
        _name_third_party_records()


def _name_third_party_records() -> None:
    """django-axes and django-otp name their sections and records in English only ("Axes",
    "Otp_Totp", "TOTP devices"), which the console shows in every title, breadcrumb and count.
    Migrations read a model's declared options (`_meta.original_attrs`), not these."""
    from axes.models import AccessAttempt
    from django.apps import apps
    from django_otp.plugins.otp_totp.models import TOTPDevice

    apps.get_app_config("axes").verbose_name = _("Sign-in attempts")
    apps.get_app_config("otp_totp").verbose_name = _("Two-step verification")
    for model, one, many in ((AccessAttempt, _("failed sign-in"), _("failed sign-ins")),
                             (TOTPDevice, _("authenticator device"), _("authenticator devices"))):
        model._meta.verbose_name, model._meta.verbose_name_plural = one, many
