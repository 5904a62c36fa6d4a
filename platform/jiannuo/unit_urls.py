"""Unit-scoped URLs, reached only through the routing middleware, which has checked
the caller's access and switched to the unit's schema before any of these views runs.

Each unit gets its own URL configuration with its slug as a literal prefix, so
`reverse()` (the admin console relies on it) yields that unit's URLs.
"""
import functools
import types

from django.urls import include, path

from audit.api import urls as audit_urls
from evaluations import public_form, public_results
from evaluations.api import urls as evaluation_urls
from tenants.admin_sites import unit_admin_site
from notifications import inbox_page
from notifications.api import urls as notification_urls
from jiannuo import views
from oversight import console
from pledges import board
from pledges.api import attachments
from pledges.api import urls as pledge_urls
from tenants.organization.api import urls as organization_urls

api_v1 = [
    path("", include(organization_urls)),
    path("", include(notification_urls)),
    path("", include(audit_urls)),
    path("", include(pledge_urls)),
    path("", include(evaluation_urls)),
]

site = [
    # The unit's own address: each caller sent on to where they work (jiannuo.views.unit_start).
    path("", views.unit_start, name="unit-start"),
    path("admin/", unit_admin_site.urls),
    # The person's messages in this unit, on the web (the same inbox as the API's).
    path("inbox/", inbox_page.inbox_page, name="unit-inbox"),
    # The address files had before the API served them: redirects there (pledges.api.attachments).
    path("files/<path:name>", attachments.stored_file, name="unit-file"),
    # The public board: no login, published pledges only.
    path("board/", board.board_page, name="pledge-board"),
    path("board/qr.svg", board.board_qr, name="pledge-board-qr"),
    # The public evaluation form: no login, one-time links (evaluations.public_form).
    path("evaluate/<str:secret>/", public_form.public_form, name="public-evaluation"),
    # The results, when the unit publishes them to the public board.
    path("evaluation/<int:round_id>/results/", public_results.public_results, name="public-evaluation-results"),
    # The unit's figures, for its admins and (read-only) its county: the console's drill-down.
    path("dashboard/", console.unit_dashboard, name="unit-dashboard"),
    path("dashboard/branch/<str:branch_id>/", console.unit_dashboard_branch, name="unit-dashboard-branch"),
    path("dashboard/member/<str:member_id>/", console.unit_dashboard_member, name="unit-dashboard-member"),
]

# In the root URL configuration: documents the unit API as /api/v1/u/{unit}/…
urlpatterns = [path("api/v1/u/<str:unit>/", include(api_v1))]


@functools.lru_cache(maxsize=None)
def urlconf_for(slug: str) -> types.ModuleType:
    from jiannuo import urls as root

    module = types.ModuleType(f"jiannuo.unit_urls.{slug}")
    module.urlpatterns = [
        path(f"api/v1/u/{slug}/", include(api_v1)),
        path(f"u/{slug}/", include(site)),
        *root.public_urlpatterns,
    ]
    module.handler400, module.handler403 = root.handler400, root.handler403
    module.handler404, module.handler500 = root.handler404, root.handler500
    return module
