"""Powder reuse from the genealogy: how many times the material of an item has been used.

Additive manufacturing reuses the powder a print job did not melt: unloaded from the printer,
sieved, blended with virgin powder and printed again. Its reuse count and virgin share are
computed here from the lineage the ledger records, never typed in.

The rule:
- A *use* is a lineage link made by an event whose batch action's type uses the material
  (`ActionType.uses_material`, domain/actions.py: the built-in PRINT_JOB). The material that
  flows along such a link, from what the event consumed into what it gave out, has been used
  once more: the powder a PRINT_JOB event (a PRODUCE of parts and used powder from a batch)
  puts out is used once more than the batch it printed from. Loading, unloading, sieving,
  blending and testing use nothing (their types' flag is off); an action on an event with no
  lineage links (an OBSERVE) moves no material, so it counts nothing either.
- Material is what flows along ISSUED, CONSUMED, SPLIT and MERGED links. PACKED links are not
  followed: a container holds powder, it is not made of it.
- An item with no incoming link (a lot received from a supplier, an item first seen in a
  partner's fact) is virgin: all of it has been used 0 times.
- An item with incoming links is the mix of what they brought, each weighted by the quantity
  its link carried (in its source's unit: the material's base unit, for powder), or in equal
  parts when a link's quantity is unknown; material coming along a use gains one use.
So an item has a distribution of uses over its mass: a blend of 30 kg virgin and 70 kg used
once is 0.3 at 0 uses and 0.7 at 1. Its `reuse_count` is the most any share of it has been
used (1; the MES seed's count of a blend), `mean_reuse_count` the mass-weighted mean (0.7)
and `virgin_fraction` the share never used (0.3).

Each item is worked out once (a depth-first walk with memory), so diamonds (a lot split and
blended back) cost what they reach; a link that closes a cycle in recorded data (a mistaken
reuse) is left out, so cycles end the walk and `cycle` says one was met.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from .events import LinkKind
from .trace import LineageLink

# The links along which material flows into what it makes.
MATERIAL_LINKS = frozenset({LinkKind.ISSUED, LinkKind.CONSUMED, LinkKind.SPLIT, LinkKind.MERGED})
EPSILON = 1e-9


@dataclass(frozen=True)
class Powder:
    """How often the material of an item has been used, from its genealogy."""

    item_id: str
    shares: dict[int, float]  # number of uses -> the fraction of the item's mass used that often
    use_event_ids: list[str] = field(default_factory=list)  # the uses in its lineage, in time order
    cycle: bool = False  # a link closing a cycle in recorded data was left out
    partial: bool = False  # links of its genealogy the caller may not see were left out

    @property
    def reuse_count(self) -> int:
        """The most any part of it has been used (a blend's count is its most-used part's)."""
        return max((n for n, f in self.shares.items() if f > EPSILON), default=0)

    @property
    def mean_reuse_count(self) -> float:
        """The mass-weighted mean number of uses."""
        return sum(n * f for n, f in self.shares.items())

    @property
    def virgin_fraction(self) -> float:
        """The share of its mass never used."""
        return self.shares.get(0, 0.0)


def _mix(parts: list[tuple[float, dict[int, float], int]]) -> dict[int, float]:
    """Distributions weighted (weight, distribution, uses added), normalised to one."""
    total = sum(w for w, _, _ in parts)
    out: dict[int, float] = {}
    for w, dist, extra in parts:
        share = w / total if total > EPSILON else 1 / len(parts)
        for n, f in dist.items():
            out[n + extra] = out.get(n + extra, 0.0) + share * f
    return out


def powder(root: str, links: Iterable[LineageLink], uses: set[str], *, partial: bool = False) -> Powder:
    """The powder of `root` from the lineage links of its backward genealogy (links elsewhere
    are harmless) and the ids of the events that use material (see the module's rule)."""
    incoming: dict[str, list[LineageLink]] = {}
    for x in links:
        if x.kind in MATERIAL_LINKS and not x.voided and x.source_id != x.target_id:
            incoming.setdefault(x.target_id, []).append(x)
    for found in incoming.values():
        found.sort(key=lambda x: (x.source_id, x.event_id or ""))
    done: dict[str, dict[int, float]] = {}
    open_: set[str] = set()
    cycle = False
    used: dict[str, LineageLink] = {}
    stack: list[tuple[str, bool]] = [(root, False)]
    while stack:
        node, expanded = stack.pop()
        if node in done:
            continue
        if not expanded:
            if node in open_:
                continue
            open_.add(node)
            stack.append((node, True))
            stack.extend((x.source_id, False) for x in reversed(incoming.get(node, [])) if x.source_id not in done)
            continue
        parts = []
        for x in incoming.get(node, []):
            if x.source_id not in done:  # still open: the link closes a cycle
                cycle = True
                continue
            extra = 1 if x.event_id is not None and x.event_id in uses else 0
            if extra:
                used.setdefault(x.event_id or "", x)
            weight = x.quantity if x.quantity is not None and x.quantity > 0 else None
            parts.append((weight, done[x.source_id], extra))
        if not parts:
            done[node] = {0: 1.0}
        elif any(w is None for w, _, _ in parts):
            done[node] = _mix([(1.0, d, e) for _, d, e in parts])
        else:
            done[node] = _mix([(w or 0.0, d, e) for w, d, e in parts])
        open_.discard(node)
    shares = {n: f for n, f in sorted(done[root].items()) if f > EPSILON}
    order = sorted(used.values(), key=lambda x: (x.event_time.isoformat() if x.event_time else "", x.event_id or ""))
    return Powder(
        item_id=root, shares=shares, use_event_ids=[x.event_id or "" for x in order], cycle=cycle, partial=partial
    )
