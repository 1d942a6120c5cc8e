"""What the model writers' tests share: the creator's request, the keys the writers are given,
and reading back what a recorded server was sent."""

from video_app.engine.core import usage
from video_app.engine.script import ScriptRequest

GEMINI_KEY = "test-gemini-key"
OPENAI_KEY = "sk-test-0123456789abcdef"
SOLAR = ScriptRequest(
    topic="solar panels",
    description="Rooftop solar panels power the house; a home battery keeps the lights on at "
    "night, and net metering sells the extra power to the grid.",
    platform="tiktok",
)


def server_label(server) -> str:
    # How the messages name an OpenAI-compatible server that is not api.openai.com.
    return f"The model server at localhost:{server.port}"


def sent(server) -> list[dict]:
    return [request.get_json() for request, _response in server.log]


def tokens(calls: list[usage.CallRecord]) -> list[float]:
    return [call.units for call in calls if call.unit == "tokens"]
