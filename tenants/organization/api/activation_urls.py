"""Mounted under /api/v1/auth/ (public schema): the sign-in screen's activation actions."""
from django.urls import path

from . import activation

urlpatterns = [
    path("code/", activation.CodeRequest.as_view(), name="activation-code"),
    path("activate/", activation.Activate.as_view(), name="activation-redeem"),
]
