"""The unit console's pages for notices: the group robots a unit posts to, and the notices sent (read-only)."""
from django.contrib import admin

from tenants.admin_sites import ReadOnlyUnitModelAdmin, UnitModelAdmin, unit_admin_site

from .models import ChatRobot, Notice


@admin.register(ChatRobot, site=unit_admin_site)
class ChatRobotAdmin(UnitModelAdmin):
    list_display = ["name", "channel", "organization", "is_active"]
    list_filter = ["channel", "is_active"]
    fields = ["name", "channel", "organization", "webhook_url", "secret", "is_active"]


@admin.register(Notice, site=unit_admin_site)
class NoticeAdmin(ReadOnlyUnitModelAdmin):
    list_display = ["title", "kind", "sender_name", "created_at", "recipients", "urgent"]
    list_filter = ["kind", "urgent"]
    search_fields = ["title"]
    fields = ["title", "body", "kind", "sender_name", "channels", "urgent", "created_at", "fanned_out_at", "recipients"]
    readonly_fields = fields
