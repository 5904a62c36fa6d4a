"""All URLs. Public-schema ones here; unit-scoped ones (under /u/<unit>/ and
/api/v1/u/<unit>/) in unit_urls, reached only through the routing middleware."""
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.i18n import set_language
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from accounts import views as account_views
from jiannuo import metrics, views
from tenants.admin_sites import platform_admin_site
from jiannuo.api.ping import Ping
from oversight import console, notice_pages

api_v1 = [
    path("auth/", include("accounts.api.urls")),
    path("auth/", include("tenants.organization.api.activation_urls")),
    path("oversight/", include("oversight.api.urls")),
    path("ping/", Ping.as_view(), name="api-ping"),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("redoc/", SpectacularRedocView.as_view(url_name="api-schema"), name="api-redoc"),
]

public_urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("healthz/live", views.healthz_live, name="healthz-live"),
    path("healthz/ready", views.healthz_ready, name="healthz-ready"),
    # Prometheus, with the metrics token only (jiannuo.metrics); outside unit routing, no query.
    path("metrics", metrics.metrics, name="metrics"),
    path("accounts/login/", account_views.login_page, name="login"),
    path("accounts/login/verify/", account_views.login_verify_page, name="login-verify"),
    path("accounts/two-factor/", account_views.two_factor_page, name="two-factor"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/setlang/", set_language, name="set_language"),
    path("admin/", platform_admin_site.urls),
    path("api/v1/", include(api_v1)),
    # The county console (read-only pages over the roll-ups; oversight.console).
    path("county/", console.county_console, name="county-console"),
    path("county/units/<str:slug>/", console.county_unit, name="county-console-unit"),
    path("county/notices/", notice_pages.notices_page, name="county-console-notices"),
    path("county/notices/<int:pk>/", notice_pages.notice_page, name="county-console-notice"),
]

# Unit-scoped URLs are served through per-unit URL configurations (jiannuo.unit_urls);
# they appear here only so the API schema documents them.
urlpatterns = public_urlpatterns + [path("", include("jiannuo.unit_urls"))]

handler400 = "jiannuo.views.bad_request"
handler403 = "jiannuo.views.permission_denied"
handler404 = "jiannuo.views.page_not_found"
handler500 = "jiannuo.views.server_error"
