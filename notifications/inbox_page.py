"""The inbox on the web (/u/<unit>/inbox/): the signed-in person's messages in this unit, the same
rows the phone reads, with marking read one by one or all at once."""
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from . import services
from .models import Notification
from .selectors import inbox_of, inbox_unread_count

PAGE_SIZE = 30


@require_http_methods(["GET", "HEAD", "POST"])
def inbox_page(request):
    user_id = request.unit_access.user_id  # routed: only people admitted to the unit get here
    if request.method == "POST":
        if "all" in request.POST:
            services.inbox_read_all(user_id=user_id)
        else:
            found = inbox_of(user_id=user_id).filter(pk=request.POST.get("read") if str(request.POST.get("read", "")).isdigit() else 0).first()
            if found is not None:
                services.inbox_read(user_id=user_id, notification=found)
        return redirect(request.get_full_path())
    messages = inbox_of(user_id=user_id).order_by("-created_at", "-id").only(*[f.name for f in Notification._meta.fields if f.name != "notice"])
    page = Paginator(messages, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "notifications/inbox.html", {"unit": request.unit, "page": page, "unread": inbox_unread_count(user_id=user_id)})
