"""The API's refusals: JSON with a sentence for a person (`{"detail": ...}`), never a page.

The services raise the same exceptions for the pages and the API; here they become HTTP answers:
a run that may not start (busy, no script, nothing to retry) is a 409, a refused storyboard edit
or variation request a 400, a plan's limit a 403 that also says which limit (`limit`), as the
pages' quota page does.
"""

from django.http import Http404
from rest_framework import exceptions, status, views

from payments_app.services import QuotaRefusal

from ..services.projects import RenderRefused, RunRefused
from ..services.storyboard import StoryboardError
from ..services.variations import VariationsRefused


class Conflict(exceptions.APIException):
    """The project's state forbids it now (a run is busy, there is nothing to retry)."""

    status_code = status.HTTP_409_CONFLICT
    default_detail = "This can't be done in the project's current state."
    default_code = "conflict"


class Refused(exceptions.APIException):
    status_code = status.HTTP_400_BAD_REQUEST
    default_detail = "This request can't be carried out."
    default_code = "refused"


class QuotaExceeded(exceptions.APIException):
    status_code = status.HTTP_403_FORBIDDEN
    default_code = "quota_exceeded"

    def __init__(self, refusal: QuotaRefusal):
        super().__init__({"detail": refusal.message, "limit": refusal.limit})


def exception_handler(exc, context):
    if isinstance(exc, RenderRefused):  # before RunRefused, of which it is a kind
        exc = QuotaExceeded(exc.refusal)
    elif isinstance(exc, RunRefused):
        exc = Conflict(exc.message)
    elif isinstance(exc, StoryboardError | VariationsRefused):
        exc = Refused(exc.message)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()  # the same answer whether it doesn't exist or isn't yours
    return views.exception_handler(exc, context)
