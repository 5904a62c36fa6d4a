from django.urls import path

from . import views

urlpatterns = [
    path("token/", views.TokenObtain.as_view(), name="token-obtain"),
    path("token/refresh/", views.TokenRefresh.as_view(), name="token-refresh"),
    path("logout/", views.Logout.as_view(), name="logout-api"),
    path("password/", views.PasswordChange.as_view(), name="password-change"),
    path("me/", views.Me.as_view(), name="me"),
]
