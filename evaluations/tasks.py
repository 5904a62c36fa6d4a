from celery import shared_task
from django.utils import timezone

from tenants.tasks import TRANSIENT_ERRORS, UnitTask

from .models import Evaluation
from .services import rights_issue
from .tallies import scores_apply_pending, scores_recompute


@shared_task(base=UnitTask, name="evaluations.apply_scores", autoretry_for=TRANSIENT_ERRORS, retry_backoff=True, max_retries=8)
def apply_scores(evaluation_id: int) -> int:
    """Add this evaluation's pending ballots and reviews to the running tallies. Idempotent:
    run twice, or after a killed run, it adds each record once."""
    return scores_apply_pending(evaluation_id=evaluation_id)


def _running_evaluations():
    """Evaluations open now, or ended in the last 30 days (late corrections still count)."""
    today = timezone.localdate()
    return Evaluation.objects.select_related("round").filter(round__evaluate_on__lte=today,
                                                             round__ends_on__gte=today - timezone.timedelta(days=30))


@shared_task(base=UnitTask, name="evaluations.sweep", autoretry_for=TRANSIENT_ERRORS, retry_backoff=True, max_retries=5)
def sweep() -> int:
    """The periodic sweep: issue the ballot rights of evaluations that have opened, and apply
    whatever a lost nudge left pending."""
    applied = 0
    for evaluation in _running_evaluations():
        rights_issue(evaluation=evaluation)
        applied += scores_apply_pending(evaluation_id=evaluation.pk)
    return applied


@shared_task(base=UnitTask, name="evaluations.recompute_scores", autoretry_for=TRANSIENT_ERRORS, retry_backoff=True, max_retries=5)
def recompute_scores(evaluation_id: int | None = None) -> int:
    """The full recompute (nightly for running evaluations, or one on demand); returns how many
    members' running tallies differed (each logged as an error)."""
    evaluations = [evaluation_id] if evaluation_id else list(_running_evaluations().values_list("pk", flat=True))
    return sum(len(scores_recompute(evaluation_id=pk)) for pk in evaluations)
