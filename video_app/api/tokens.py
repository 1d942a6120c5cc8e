"""API tokens (DRF's authtoken): one per user at most. A new one replaces the old at once, so a
leaked token is dealt with by making a new one (or revoking it)."""

from django.db import transaction
from rest_framework.authtoken.models import Token


def token_replace(*, user) -> Token:
    with transaction.atomic():
        Token.objects.filter(user=user).delete()
        return Token.objects.create(user=user)


def token_revoke(*, user) -> None:
    Token.objects.filter(user=user).delete()
