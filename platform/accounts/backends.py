"""Log in with a username or a mobile number, whichever the person remembers."""
from django.contrib.auth.backends import ModelBackend

from .models import User
from .passwords import DEMO_PASSWORD, demo_password_allowed


class PhoneOrUsernameBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        login = (username or kwargs.get(User.USERNAME_FIELD) or "").strip()
        if not login or password is None:
            return None
        # A mobile number names the identity it belongs to, even if some username looks like it.
        user = User.objects.filter(phone=login).first() or User.objects.filter(username=login).first()
        if user is None:
            User().set_password(password)  # same work either way: no timing oracle for unknown logins
            return None
        if password == DEMO_PASSWORD and not demo_password_allowed():
            user.check_password("")  # the published demo password opens nothing outside the demo
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None
