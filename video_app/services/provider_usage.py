"""Stores the engine's records of paid provider calls (`engine.core.usage`) as ProviderCall rows,
attributed to the project the pipeline was working on."""

from ..engine.core.usage import CallRecord
from ..models import ProviderCall, VideoProject


def store_call(call: CallRecord) -> None:
    project_id = call.context.get("project_id")
    if project_id and not VideoProject.objects.filter(pk=project_id).exists():
        project_id = None  # deleted meanwhile: keep the cost, lose the link
    ProviderCall.objects.create(
        provider=call.provider,
        capability=call.capability,
        units=call.units,
        unit=call.unit,
        outcome=call.outcome,
        duration_s=round(call.duration_s, 3),
        project_id=project_id,
    )
