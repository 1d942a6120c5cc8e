"""The API's JSON parser: DRF's, with refusals a person can read instead of server errors.

JSON nested deeper than Python's recursion limit made the standard decoder raise
RecursionError (a 500); it is now a 400 saying why. Body size is refused before parsing by
video_app.security.request_limits (413).
"""

from rest_framework import parsers
from rest_framework.exceptions import ParseError


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError as error:
            raise ParseError("This JSON is nested too deeply to be read.") from error
