"""The county console's notices (web pages, Chinese first): send a notice to the county's units and
follow it as it is delivered and read, unit by unit and branch by branch, live within seconds.
The pages call the same services as the API (oversight.notices) and read only the public tables."""
from __future__ import annotations

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from notifications.audience import ROLE_CHOICES
from notifications.models import OUTSIDE_CHANNELS, Channel
from notifications.services import MAX_BODY, MAX_TITLE

from . import selectors
from .console import Table, _answer
from .notices import county_notice_remind, county_notice_send, county_notice_units, county_notices_visible

ROLE_LABELS = {"members": gettext_lazy("All members"), "secretaries": gettext_lazy("Secretaries"), "unit_admins": gettext_lazy("Unit admins")}


class CountyNoticeForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("Title"), max_length=MAX_TITLE)
    body = forms.CharField(label=gettext_lazy("Text"), max_length=MAX_BODY, required=False, widget=forms.Textarea(attrs={"rows": 6}))
    units = forms.MultipleChoiceField(label=gettext_lazy("Units"), required=False, widget=forms.CheckboxSelectMultiple,
                                      help_text=gettext_lazy("None ticked: every unit of the jurisdiction."))
    role = forms.ChoiceField(label=gettext_lazy("To"), choices=[(name, ROLE_LABELS[name]) for name, _label in ROLE_CHOICES])
    channels = forms.MultipleChoiceField(label=gettext_lazy("Also by"), required=False, widget=forms.CheckboxSelectMultiple,
                                         choices=[(c.value, c.label) for c in OUTSIDE_CHANNELS], help_text=gettext_lazy("The in-app inbox always."))
    urgent = forms.BooleanField(label=gettext_lazy("Urgent (sent during quiet hours too)"), required=False)

    def __init__(self, *args, units=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["units"].choices = [(unit.slug, f"{unit.name}（{unit.county.name}）") for unit in units]


def _console_user(request):
    if not selectors.console_allowed(request.user):
        raise Http404
    return request.user


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def notices_page(request):
    """The notices the user's jurisdictions sent, newest first, and the form to send one."""
    user = _console_user(request)
    units = list(selectors.units_overseen_by(user).order_by("county__name", "name"))
    form = CountyNoticeForm(request.POST or None, units=units)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            notice = county_notice_send(user=user, title=data["title"], body=data["body"], units=data["units"] or None, role=data["role"],
                                        channels=data["channels"], urgent=data["urgent"])
        except ValidationError as exc:
            for field, messages in (exc.message_dict.items() if hasattr(exc, "error_dict") else [(None, exc.messages)]):
                form.add_error(field if field in form.fields else None, messages)
        else:
            return redirect(f"/county/notices/{notice.pk}/")
    sent = list(county_notices_visible(user).order_by("-created_at", "-id")[:50])
    table = Table("notices", _("Notices sent"), [_("Sent at"), _("Title"), _("From"), _("Units"), _("Delivered to units"), _("Recipients"), _("Read")],
                  [[timezone.localtime(notice.created_at).strftime("%Y-%m-%d %H:%M"), notice.title, notice.jurisdiction.name, notice.units_total, notice.units_delivered,
                    notice.recipients_total, notice.read_total] for notice in sent],
                  links=[f"/county/notices/{notice.pk}/" for notice in sent])
    return _answer(request, "oversight/notices.html", {"heading": _("Notices"), "form": form, "notices_link": True}, [table], "notices")


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def notice_page(request, pk: int):
    """One notice: delivery and reads per unit and per branch; reminds those who have not read it."""
    user = _console_user(request)
    notice = county_notices_visible(user).filter(pk=pk).first()
    if notice is None:
        raise Http404
    error = None
    if request.method == "POST":
        try:
            county_notice_remind(notice=notice, user=user)
        except ValidationError as exc:
            error = exc.messages[0]
        else:
            return redirect(f"/county/notices/{notice.pk}/")
    rows = list(county_notice_units(notice))
    units = Table("units", _("Delivery and reads by unit"), [_("Unit"), _("Status"), _("Recipients"), _("Delivered"), _("Read"), _("Read rate")],
                  [[row.unit.name, row.get_status_display(), row.recipients, row.delivered, row.read,
                    f"{round(100 * row.read / row.delivered)}%" if row.delivered else None] for row in rows])
    branches = Table("branches", _("Reads by branch"), [_("Unit"), _("Branch"), _("Delivered"), _("Read")],
                     [[row.unit.name, branch["name"] or _("(not in a branch)"), branch["delivered"], branch["read"]]
                      for row in rows for branch in row.by_organisation])
    pending = any(row.status != row.Status.DELIVERED for row in rows)
    context = {"heading": notice.title, "notice": notice, "error": error, "pending": pending, "notices_link": True,
               "unread": notice.delivered_total - notice.read_total, "channels": [Channel(c).label for c in notice.channels]}
    return _answer(request, "oversight/notice.html", context, [units, branches], f"notice-{notice.pk}")
