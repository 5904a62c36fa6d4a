from django.urls import path

from . import views

urlpatterns = [
    path("rounds/<int:pk>/evaluation/", views.RoundEvaluation.as_view(), name="round-evaluation"),
    path("rounds/<int:pk>/evaluation/panels/<int:branch>/", views.BranchPanel.as_view(), name="evaluation-panel"),
    path("rounds/<int:pk>/evaluation/panels/<int:branch>/sheet/", views.BranchPanelSheet.as_view(), name="evaluation-panel-sheet"),
    path("rounds/<int:pk>/evaluation/panels/<int:branch>/results/", views.BranchPublicResults.as_view(), name="evaluation-public-results"),
]
