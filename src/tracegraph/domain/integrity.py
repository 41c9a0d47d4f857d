"""What `tracegraph check` reports of the whole ledger."""

from __future__ import annotations

from dataclasses import dataclass, field

from .events import Finding


@dataclass
class Imbalance:
    item_id: str
    total: float
    second_total: float = 0.0  # of its balances in a second unit (materials tracked in two)


@dataclass
class IntegrityReport:
    """What `tracegraph check` reports: conservation, dangling references, findings."""

    items: int = 0
    events: int = 0
    imbalances: list[Imbalance] = field(default_factory=list)
    dangling: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.imbalances and not self.dangling
