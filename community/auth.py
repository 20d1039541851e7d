from django.http import HttpRequest
from rest_framework.exceptions import NotAuthenticated
from rest_framework.request import Request

from community.models import User


def signed_in_user(request: HttpRequest | Request) -> User:
    """The logged-in user of a view that requires one (login_required / IsAuthenticated)."""
    user = request.user
    if not isinstance(user, User):
        raise NotAuthenticated()
    return user
