from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TenantsConfig(AppConfig):
    name = "tenants"
    verbose_name = _("Units")

    def ready(self):
        from . import compiled  # noqa: F401  (registers the `any` lookup)
        from .api.fields import messages_without_type_names

        messages_without_type_names()
