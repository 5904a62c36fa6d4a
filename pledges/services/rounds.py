"""The unit's rules, and its rounds: opening (also a county campaign's copy) and adjusting them."""
from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from notifications.services import notify
from tenants.organization.models import Member

from ..attachments import ATTACHMENT_SIGNATURES
from ..board import board_changed
from ..models import ItemKind, PHASE_FIELDS, PledgeRules, Round
from ..selectors import rules_current
from .policy import rules_snapshot

# A pledge names a few items (004: members 2–3, organisations 3–5); the checklist a few points
# (002: 五带头, tied to the post, feasible, concrete); a tier a few common pledges.
MOST_ITEMS = 20
MOST_CHECKLIST_POINTS = 20
MOST_TEMPLATES_PER_TIER = 20


def _bad_text(text, longest: int) -> bool:
    # PostgreSQL keeps no NUL in text or JSON: refused here, not as a database error.
    return not isinstance(text, str) or not text.strip() or len(text) > longest or "\x00" in text


def check_rules(*, rules: PledgeRules) -> None:
    errors: dict[str, str] = {}
    for low, high in (("member_items_min", "member_items_max"), ("organization_items_min", "organization_items_max"), ("corrections_min", "corrections_max")):
        if getattr(rules, low) > getattr(rules, high):
            errors[low] = _("The fewest cannot be more than the most.")
    for low, high in (("member_items_min", "member_items_max"), ("organization_items_min", "organization_items_max")):
        if low not in errors and getattr(rules, low) < 1:
            errors[low] = _("A pledge names at least one item.")
        if getattr(rules, high) > MOST_ITEMS:
            errors[high] = _("At most %(n)d items.") % {"n": MOST_ITEMS}
    if not rules.areas:
        errors["areas"] = _("Keep at least one area.")
    if not rules.kinds:
        errors["kinds"] = _("Keep at least one kind.")
    if rules.corrections_min and ItemKind.CORRECTION not in (rules.kinds or []):
        errors["corrections_min"] = _("Corrections are required but the correction kind is not in use.")
    if not 1 <= rules.monthly_reminder_day <= 28:
        errors["monthly_reminder_day"] = _("Choose a day between 1 and 28.")
    if not 1 <= rules.attachment_max_mb <= 50:
        errors["attachment_max_mb"] = _("Choose between 1 and 50 MB.")
    unknown_types = set(rules.attachment_types or []) - set(ATTACHMENT_SIGNATURES)
    if unknown_types or not rules.attachment_types:
        errors["attachment_types"] = _("Choose among: %(types)s.") % {"types": ", ".join(ATTACHMENT_SIGNATURES)}
    checklist = rules.review_checklist or []
    if any(_bad_text(point, 100) for point in checklist):
        errors["review_checklist"] = _("Each point of the checklist is a text of 1 to 100 characters.")
    elif len(set(checklist)) < len(checklist):
        twice = next(point for point in checklist if checklist.count(point) > 1)
        errors["review_checklist"] = _("This point is in the checklist twice: %(point)s") % {"point": twice}
    elif len(checklist) > MOST_CHECKLIST_POINTS:
        errors["review_checklist"] = _("Keep the checklist to at most %(n)d points.") % {"n": MOST_CHECKLIST_POINTS}
    templates = rules.common_templates or {}
    if not isinstance(templates, dict) or any(tier not in Member.Tier.values or not isinstance(texts, list) for tier, texts in templates.items()):
        errors["common_templates"] = _("Give a list of texts for each member tier (%(tiers)s).") % {"tiers": ", ".join(Member.Tier.values)}
    else:
        for tier, texts in templates.items():
            if len(texts) > MOST_TEMPLATES_PER_TIER or any(_bad_text(text, 1000) for text in texts):
                errors["common_templates"] = _("Common pledges of %(tier)s: at most %(n)d texts, each of 1 to 1000 characters.") % {
                    "tier": Member.Tier(tier).label, "n": MOST_TEMPLATES_PER_TIER}
                break
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def rules_update(*, changes: dict) -> PledgeRules:
    """Changes apply to rounds opened from now on; running rounds keep their copy."""
    rules = rules_current()
    rules = PledgeRules.objects.select_for_update().get(pk=rules.pk)
    for name, value in changes.items():
        setattr(rules, name, value)
    check_rules(rules=rules)
    rules.full_clean()
    rules.save()
    return rules


def check_round_dates(*, dates: dict[str, date], year: int | None = None) -> None:
    """Phases follow one another and stay near the round's year (a round may begin the year
    before, 001: July, and run into the next two, 002: to the Party congress)."""
    previous = None
    for name in PHASE_FIELDS:
        day = dates.get(name)
        if day is None:
            raise ValidationError({name: _("This date is required.")})
        if year is not None and not year - 1 <= day.year <= year + 2:
            raise ValidationError({name: _("Keep the dates of a %(year)d round between %(start)d and %(end)d.") % {"year": year, "start": year - 1, "end": year + 2}})
        if previous is not None and day < dates[previous]:
            raise ValidationError({name: _("Phases must follow one another: this date cannot be before %(date)s.") % {"date": dates[previous].isoformat()}})
        previous = name


@transaction.atomic
def round_open(*, year: int, theme: str, dates: dict[str, date], campaign_id: int | None = None) -> Round:
    """Open a round with a copy of the unit's current rules. From a campaign: once per unit."""
    if campaign_id is not None:
        existing = Round.objects.filter(campaign_id=campaign_id).first()
        if existing is not None:
            return existing
    if not 2000 <= year <= 2100:
        raise ValidationError({"year": _("Enter a year between 2000 and 2100.")})
    check_round_dates(dates=dates, year=year)
    round = Round(year=year, theme=theme, campaign_id=campaign_id, rules=rules_snapshot(rules_current()), **{k: dates[k] for k in PHASE_FIELDS})
    round.full_clean(validate_constraints=False)
    try:
        with transaction.atomic():
            round.save()
    except IntegrityError:  # the same campaign, launched twice at once: one round
        return Round.objects.get(campaign_id=campaign_id)
    # Mobilise (亮身份): every member with a login hears of the round and when to propose.
    members = Member.objects.filter(status__in=(Member.Status.ACTIVE, Member.Status.MOBILE), user_id__isnull=False)
    notify(recipient_ids=members.values_list("user_id", flat=True), title=_("New pledge round: %(round)s") % {"round": round.title},
           body=_("Propose your pledge between %(start)s and %(end)s.") % {"start": round.propose_on.isoformat(), "end": (round.publish_on).isoformat()},
           dedupe_key=f"round-open:{round.pk}")
    return round


@transaction.atomic
def round_update(*, round: Round, theme: str | None = None, dates: dict[str, date] | None = None) -> Round:
    """A unit adjusts its round's dates (also a campaign's copy); the rules copy never changes."""
    round = Round.objects.select_for_update().get(pk=round.pk)
    if theme is not None:
        round.theme = theme
    if dates:
        merged = {name: dates.get(name, getattr(round, name)) for name in PHASE_FIELDS}
        check_round_dates(dates=merged, year=round.year)
        for name, value in merged.items():
            setattr(round, name, value)
    round.full_clean()
    round.save()
    board_changed()  # the board names the round and follows its dates
    return round
