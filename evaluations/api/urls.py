from django.urls import path

from . import results, views

urlpatterns = [
    path("rounds/<int:pk>/evaluation/", views.RoundEvaluation.as_view(), name="round-evaluation"),
    path("rounds/<int:pk>/evaluation/panels/<int:branch>/", views.BranchPanel.as_view(), name="evaluation-panel"),
    path("rounds/<int:pk>/evaluation/panels/<int:branch>/sheet/", views.BranchPanelSheet.as_view(), name="evaluation-panel-sheet"),
    path("rounds/<int:pk>/evaluation/panels/<int:branch>/results/", views.BranchPublicResults.as_view(), name="evaluation-public-results"),
    path("rounds/<int:pk>/evaluation/ballots/", views.MyBallots.as_view(), name="evaluation-my-ballots"),
    path("rounds/<int:pk>/evaluation/ballots/<str:method>/", views.CastBallot.as_view(), name="evaluation-cast-ballot"),
    path("rounds/<int:pk>/evaluation/self/", views.MySelfAssessment.as_view(), name="evaluation-self"),
    path("rounds/<int:pk>/evaluation/reviews/", views.Reviews.as_view(), name="evaluation-reviews"),
    path("rounds/<int:pk>/evaluation/branches/<int:branch>/report/", views.BranchReportView.as_view(), name="evaluation-branch-report"),
    path("rounds/<int:pk>/evaluation/scores/", views.Scores.as_view(), name="evaluation-scores"),
    path("rounds/<int:pk>/evaluation/figures/", views.Figures.as_view(), name="evaluation-figures"),
    path("rounds/<int:pk>/evaluation/recompute/", views.Recompute.as_view(), name="evaluation-recompute"),
    path("rounds/<int:pk>/evaluation/publication/", results.PublicationView.as_view(), name="evaluation-publication"),
    path("rounds/<int:pk>/evaluation/results/", results.Results.as_view(), name="evaluation-results"),
    path("rounds/<int:pk>/evaluation/results/export/", results.ResultsExport.as_view(), name="evaluation-results-export"),
    path("rounds/<int:pk>/evaluation/commendations/", results.Commendations.as_view(), name="evaluation-commendations"),
    path("rounds/<int:pk>/evaluation/commendations/<int:member>/", results.CommendationDetail.as_view(), name="evaluation-commendation"),
    path("rounds/<int:pk>/evaluation/rectifications/", results.Rectifications.as_view(), name="evaluation-rectifications"),
    path("rounds/<int:pk>/evaluation/rectifications/<int:rectification>/steps/", results.RectificationStep.as_view(),
         name="evaluation-rectification-step"),
    path("rounds/<int:pk>/evaluation/rectifications/<int:rectification>/close/", results.RectificationClose.as_view(),
         name="evaluation-rectification-close"),
]
