"""Log in with the username, or with the email address given at sign-up.

One rule for every sign-in (login page, admin) and for counting failures per account
(security/login_throttle.py): an identifier without "@" is a username. One with "@" is first a
username, exactly (accounts made before usernames were refused an "@" keep theirs), then an
email address, compared without case. An address that several old accounts share signs none of
them in, since picking one would lock the others out: they use their usernames.
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend


def user_for_identifier(identifier: str | None):
    """The account an identifier typed at sign-in names, or None."""
    if not identifier:
        return None
    users = get_user_model()._default_manager
    user = users.filter(**{get_user_model().USERNAME_FIELD: identifier}).first()
    if user is not None or "@" not in identifier:
        return user
    by_email = list(users.filter(email__iexact=identifier.strip())[:2])
    return by_email[0] if len(by_email) == 1 else None


class UsernameOrEmailBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        user = user_for_identifier(username)
        if user is not None:
            username = user.get_username()
        # Unknown identifiers still go through ModelBackend, which hashes the password anyway:
        # a refusal takes as long whether or not the account exists.
        return super().authenticate(request, username=username, password=password, **kwargs)
