"""The unit console's pages for notices: send one (to the unit, chosen organisations or a role) and
follow it (delivery and reads per branch and channel); the group robots the unit posts to."""
from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tenants.admin_sites import UnitModelAdmin, unit_admin_site
from tenants.organization.caller import caller_from_access
from tenants.organization.models import Organization

from . import services
from .audience import ROLE_CHOICES
from .models import OUTSIDE_CHANNELS, Channel, ChatRobot, Notice
from .selectors import notice_counts, notices_visible

ROLE_LABELS = {"members": gettext_lazy("All members"), "secretaries": gettext_lazy("Secretaries"), "unit_admins": gettext_lazy("Unit admins")}


@admin.register(ChatRobot, site=unit_admin_site)
class ChatRobotAdmin(UnitModelAdmin):
    list_display = ["name", "channel", "organization", "is_active"]
    list_filter = ["channel", "is_active"]
    fields = ["name", "channel", "organization", "webhook_url", "secret", "is_active"]


class NoticeSendForm(forms.ModelForm):
    """Sends when it validates (inside the console's transaction, so a later failure sends nothing):
    the service's refusals become the form's errors."""

    organisations = forms.ModelMultipleChoiceField(label=gettext_lazy("Organisations"), queryset=Organization.objects.none(), required=False,
                                                   help_text=gettext_lazy("None chosen: the whole unit. Each chosen one includes everything below it."))
    role = forms.ChoiceField(label=gettext_lazy("To"), choices=[(name, ROLE_LABELS[name]) for name, _label in ROLE_CHOICES])
    channels = forms.MultipleChoiceField(label=gettext_lazy("Also by"), required=False, widget=forms.CheckboxSelectMultiple,
                                         choices=[(c.value, c.label) for c in OUTSIDE_CHANNELS], help_text=gettext_lazy("The in-app inbox always."))

    class Meta:
        model = Notice
        fields = ["title", "body", "urgent"]

    def __init__(self, *args, caller=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.caller = caller
        self.fields["organisations"].queryset = Organization.objects.order_by("sort_order", "name")
        self.sent = None

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        chosen = [o.pk for o in data.get("organisations") or []]
        audience = {"kind": "organisations", "organisations": chosen, "role": data["role"]} if chosen else {"kind": "unit", "role": data["role"]}
        try:
            self.sent = services.notice_send(who=self.caller, title=data["title"], body=data.get("body", ""), audience=audience,
                                             channels=data.get("channels") or [], urgent=data.get("urgent", False))
        except ValidationError as exc:
            fields = {"audience": "organisations", "channels": "channels", "title": "title", "body": "body"}
            if hasattr(exc, "error_dict"):
                for field, messages in exc.message_dict.items():
                    self.add_error(fields.get(field), messages)
            else:
                self.add_error(None, exc.messages)
        return data


@admin.register(Notice, site=unit_admin_site)
class NoticeAdmin(UnitModelAdmin):
    list_display = ["title", "kind", "sender_name", "created_at", "recipients", "read_count", "urgent"]
    list_filter = ["kind", "urgent"]
    search_fields = ["title"]
    readonly_fields = ["title", "body", "kind", "sender_name", "channel_names", "urgent", "created_at", "fanned_out_at", "recipients", "reads"]

    actions = ["remind"]

    def get_queryset(self, request):
        return notices_visible(caller_from_access(request.unit_access)).annotate(
            read_total=Count("inbox", filter=Q(inbox__read_at__isnull=False)))

    @admin.action(description=gettext_lazy("Remind those who have not read it"))
    def remind(self, request, queryset):
        caller = caller_from_access(request.unit_access)
        for notice in queryset:
            try:
                services.notice_remind(notice=notice, who=caller)
            except (ValidationError, PermissionDenied) as exc:
                self.message_user(request, f"{notice.title}：{' '.join(getattr(exc, 'messages', [str(exc)]))}", level=messages.WARNING)
            else:
                self.message_user(request, _("Reminder sent: %(title)s") % {"title": notice.title})

    def get_fields(self, request, obj=None):
        return ["title", "body", "urgent", "organisations", "role", "channels"] if obj is None else self.readonly_fields

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else self.readonly_fields

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is not None:
            return super().get_form(request, obj, change=change, **kwargs)
        caller = caller_from_access(request.unit_access)

        class Form(NoticeSendForm):
            def __init__(self, *args, **kw):
                super().__init__(*args, caller=caller, **kw)

        return Form

    def has_change_permission(self, request, obj=None):
        return False  # a notice sent stays as it was sent

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        # Sent by the form's validation (notifications.services.notice_send); the page shows that notice.
        obj.__dict__.update({k: v for k, v in form.sent.__dict__.items() if not k.startswith("_")})

    def save_related(self, request, form, formsets, change):
        pass  # the notice has no related rows to save here

    def log_addition(self, request, obj, message):
        pass  # the notice is its own record of who sent what

    @admin.display(description=gettext_lazy("read"), ordering="read_total")
    def read_count(self, notice):
        return notice.read_total

    @admin.display(description=gettext_lazy("channels"))
    def channel_names(self, notice):
        return "、".join([str(Channel.INBOX.label)] + [str(Channel(c).label) for c in notice.channels])

    @admin.display(description=gettext_lazy("Delivery and reads"))
    def reads(self, notice):
        counts = notice_counts(notice)
        rows = format_html_join("", "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
                                ((row["name"] or _("(not in a branch)"), row["delivered"], row["read"]) for row in counts["by_organisation"]))
        channels = format_html_join("", "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                                    ((Channel(c["channel"]).label, c["sent"], c["pending"] + c["sending"] + c["digest"], c["failed"]) for c in counts["by_channel"]))
        return format_html(
            "<p>{}</p><table><tr><th>{}</th><th>{}</th><th>{}</th></tr>{}</table>{}",
            _("%(delivered)d delivered, %(read)d read, %(unread)d not read yet.") % counts,
            _("Branch"), _("Delivered"), _("Read"), rows,
            format_html("<table><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>{}</table>", _("Channel"), _("Sent"), _("Waiting"), _("Failed"), channels)
            if counts["by_channel"] else "",
        )
