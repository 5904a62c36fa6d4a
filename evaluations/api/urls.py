from django.urls import path

from . import views

urlpatterns = [
    path("rounds/<int:pk>/evaluation/", views.RoundEvaluation.as_view(), name="round-evaluation"),
]
