from django.urls import path

from . import attachments, views

urlpatterns = [
    path("pledge-rules/", views.RulesView.as_view(), name="pledge-rules"),
    path("rounds/", views.RoundList.as_view(), name="round-list"),
    path("rounds/<int:pk>/", views.RoundDetail.as_view(), name="round-detail"),
    path("rounds/<int:pk>/progress/", views.RoundProgress.as_view(), name="round-progress"),
    path("rounds/<int:pk>/publish/", views.RoundPublish.as_view(), name="round-publish"),
    path("pledges/", views.PledgeList.as_view(), name="pledge-list"),
    path("pledges/<int:pk>/", views.PledgeDetail.as_view(), name="pledge-detail"),
    path("pledges/<int:pk>/submit/", views.PledgeSubmit.as_view(), name="pledge-submit"),
    path("pledges/<int:pk>/approve/", views.PledgeApprove.as_view(), name="pledge-approve"),
    path("pledges/<int:pk>/return/", views.PledgeReturn.as_view(), name="pledge-return"),
    path("pledges/<int:pk>/redo/", views.PledgeRedo.as_view(), name="pledge-redo"),
    path("pledges/<int:pk>/publish/", views.PledgePublish.as_view(), name="pledge-publish"),
    path("pledges/<int:pk>/letter/", views.PledgeLetter.as_view(), name="pledge-letter"),
    path("items/", views.ItemList.as_view(), name="item-list"),
    path("items/<int:pk>/records/", views.ItemRecords.as_view(), name="item-records"),
    path("items/<int:pk>/close-request/", views.ItemCloseRequest.as_view(), name="item-close-request"),
    path("items/<int:pk>/close/", views.ItemClose.as_view(), name="item-close"),
    path("items/<int:pk>/send-back/", views.ItemSendBack.as_view(), name="item-send-back"),
    path("items/<int:pk>/rectify/", views.ItemRectify.as_view(), name="item-rectify"),
    path("attachments/<int:pk>/", attachments.AttachmentFile.as_view(), name="attachment-file"),
    path("members/<int:pk>/post/", views.MemberPostAssign.as_view(), name="member-post-assign"),
    path("ledger/members/<int:pk>/", views.MemberLedger.as_view(), name="ledger-member"),
    path("ledger/members/<int:pk>/export/", views.MemberLedgerExport.as_view(), name="ledger-member-export"),
    path("ledger/branches/<int:pk>/", views.BranchLedger.as_view(), name="ledger-branch"),
    path("ledger/branches/<int:pk>/export/", views.BranchLedgerExport.as_view(), name="ledger-branch-export"),
]
