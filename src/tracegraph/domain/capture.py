"""An EPCIS capture job (the GS1 REST binding's `/capture/{captureID}`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass
class CaptureJob:
    """An EPCIS capture job (the GS1 REST binding's `/capture/{captureID}`), kept in the store."""

    id: str
    running: bool
    success: bool
    created_at: datetime
    finished_at: datetime | None = None
    errors: list[dict[str, Any]] = field(default_factory=list)
    event_count: int = 0
    organization_id: str | None = None  # the organization that captured; only it (and the admin) reads the job
