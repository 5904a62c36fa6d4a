from django.urls import path

from . import notices, views

urlpatterns = [
    path("jurisdictions/", views.JurisdictionList.as_view(), name="oversight-jurisdiction-list"),
    path("units/", views.UnitList.as_view(), name="oversight-unit-list"),
    path("units/<str:slug>/", views.UnitDetail.as_view(), name="oversight-unit-detail"),
    path("evaluations/", views.EvaluationOverview.as_view(), name="oversight-evaluations"),
    path("rollup/", views.Rollup.as_view(), name="oversight-rollup"),
    path("campaigns/", views.CampaignList.as_view(), name="oversight-campaign-list"),
    path("campaigns/<int:pk>/", views.CampaignDetail.as_view(), name="oversight-campaign-detail"),
    path("campaigns/<int:pk>/launch/", views.CampaignLaunchAgain.as_view(), name="oversight-campaign-launch"),
    path("notices/", notices.CountyNoticeList.as_view(), name="oversight-notice-list"),
    path("notices/<int:pk>/", notices.CountyNoticeDetail.as_view(), name="oversight-notice-detail"),
    path("notices/<int:pk>/remind/", notices.CountyNoticeRemind.as_view(), name="oversight-notice-remind"),
]
