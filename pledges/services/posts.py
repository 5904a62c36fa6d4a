"""设岗定责: a member without a post gets one from their branch before pledging to it."""
from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from notifications.services import notify
from tenants.organization.caller import Caller
from tenants.organization.models import Member


@transaction.atomic
def member_post_assign(*, member: Member, post: str, who: Caller) -> Member:
    """设岗定责: the branch gives a member without a post one to pledge to."""
    if who.is_read_only or not (who.is_unit_admin or member.branch_id in who.oversees_ids):
        raise PermissionDenied(_("Only the secretary of the member's branch (or above) or a unit admin assigns posts."))
    post = post.strip()
    if not post:
        raise ValidationError({"post": _("Name the post.")})
    member = Member.objects.select_for_update().get(pk=member.pk)
    member.post = post
    member.full_clean()
    member.save()
    if member.user_id:
        notify(recipient_ids=[member.user_id], title=_("Your post: %(post)s") % {"post": post},
               body=_("You can now make your pledge for this post."))
    return member
