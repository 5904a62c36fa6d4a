from django.urls import path

from . import views

urlpatterns = [
    path("notifications/", views.NotificationList.as_view(), name="notification-list"),
    path("notifications/unread-count/", views.InboxUnreadCount.as_view(), name="notification-unread-count"),
    path("notifications/read-all/", views.InboxReadAll.as_view(), name="notification-read-all"),
    path("notifications/preferences/", views.NotificationPreferences.as_view(), name="notification-preferences"),
    path("notifications/<int:pk>/read/", views.NotificationRead.as_view(), name="notification-read"),
    path("notices/", views.NoticeList.as_view(), name="notice-list"),
    path("notices/<int:pk>/", views.NoticeDetail.as_view(), name="notice-detail"),
    path("notices/<int:pk>/remind/", views.NoticeRemind.as_view(), name="notice-remind"),
]
