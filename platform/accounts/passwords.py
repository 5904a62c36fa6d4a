"""Password rules beyond Django's validators."""
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

DEMO_PASSWORD = "jiannuo-demo"


def demo_password_allowed() -> bool:
    return bool(getattr(settings, "JIANNUO_DEMO", False))


class DemoPasswordValidator:
    """The demo's shared password is published in the README: only demo settings accept it."""

    def validate(self, password, user=None):
        if password == DEMO_PASSWORD and not demo_password_allowed():
            raise ValidationError(_("This password is published with the demo; choose another."), code="password_demo")

    def get_help_text(self):
        return _("Your password cannot be the demo's published password.")
