from django.urls import path

from . import views

urlpatterns = [path("audit/", views.AuditEntryList.as_view(), name="audit-list")]
