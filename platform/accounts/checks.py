"""`manage.py check --deploy`: a deployment must not run with the demo's published secrets."""
from django.conf import settings
from django.core.checks import Tags, Warning, register


@register(Tags.security, deploy=True)
def demo_settings_off(app_configs, **kwargs):
    if settings.JIANNUO_DEMO:
        return [Warning("JIANNUO_DEMO is on: the demo's published password and authenticator key open accounts, "
                        "and SMS codes show on unit admins' screens.", hint="Unset JIANNUO_DEMO outside a demo.", id="accounts.W001")]
    return []
