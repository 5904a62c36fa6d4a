from django.urls import path

from . import views

urlpatterns = [
    path("me/", views.UnitMe.as_view(), name="unit-me"),
    path("organizations/", views.OrganizationList.as_view(), name="organization-list"),
    path("organizations/<int:pk>/", views.OrganizationDetail.as_view(), name="organization-detail"),
    path("members/", views.MemberList.as_view(), name="member-list"),
    path("members/import/", views.MemberImport.as_view(), name="member-import"),
    path("members/export/", views.MemberExport.as_view(), name="member-export"),
    path("members/<int:pk>/", views.MemberDetail.as_view(), name="member-detail"),
    path("members/<int:pk>/activation/", views.MemberActivation.as_view(), name="member-activation"),
    path("members/<int:pk>/unlock/", views.MemberUnlock.as_view(), name="member-unlock"),
]
