from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OversightConfig(AppConfig):
    name = "oversight"
    verbose_name = _("Jurisdictions and oversight")

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        from pledges.models import Pledge, PledgeItem, ProgressRecord, Round
        from tenants import services as units
        from tenants.organization.models import Member, Organization

        from evaluations.tallies import scores_changed
        from notifications.services import notice_delivered, notices_read

        from .notices import on_notice_delivered, on_notices_read

        from .services import unit_evaluation_figures_push, unit_opened

        units.unit_opened_handlers.append(unit_opened)
        # Not domain logic: keeping the county's copy of a unit's figures fresh after any change
        # to what they count (bulk updates ride along with the save of their pledge).
        for model in (Member, Organization, Round, Pledge, PledgeItem, ProgressRecord):
            for signal in (post_save, post_delete):
                signal.connect(_figures_changed, sender=model, dispatch_uid=f"figures-{model._meta.label}-{signal is post_save}")
        # A unit's evaluation figures go up with every change of its scores, in the same transaction.
        scores_changed.connect(lambda sender, evaluation, rows=None, **kw: unit_evaluation_figures_push(evaluation=evaluation, rows=rows),
                               dispatch_uid="evaluation-figures", weak=False)
        # A county notice's delivery and read counts go up to its row of the public table.
        notice_delivered.connect(on_notice_delivered, dispatch_uid="county-notice-delivered")
        notices_read.connect(on_notices_read, dispatch_uid="county-notice-read")


def _figures_changed(sender, raw=False, **kwargs):
    from .services import unit_figures_refresh_soon

    if not raw:
        unit_figures_refresh_soon()
