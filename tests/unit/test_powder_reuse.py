"""Powder reuse from the genealogy (domain/powder.py): uses along links made by using events,
mixes weighted by quantity, diamonds, blends and cycles."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tracegraph.domain.events import LinkKind
from tracegraph.domain.powder import powder
from tracegraph.domain.trace import LineageLink

T0 = datetime(2024, 3, 1, tzinfo=UTC)


def link(
    source: str, target: str, qty: float | None, event: str, kind: LinkKind = LinkKind.CONSUMED, **more: object
) -> LineageLink:
    return LineageLink(source, target, kind, qty, event, T0 + timedelta(hours=int(event[-1])), **more)  # type: ignore[arg-type]


def test_a_fresh_lot_is_virgin() -> None:
    p = powder("LOT", [], set())
    assert (p.reuse_count, p.mean_reuse_count, p.virgin_fraction) == (0, 0.0, 1.0)
    assert p.use_event_ids == [] and not p.cycle


def test_a_print_job_uses_what_it_puts_out() -> None:
    links = [
        link("LOT", "B1", 45, "E1", LinkKind.ISSUED),  # load: no use
        link("B1", "B2", 42, "E2"),  # the print job: its used powder
        link("B1", "PART", 3, "E2"),
        link("B2", "B3", 41.9, "E3", LinkKind.SPLIT),  # sieve: no use
    ]
    p = powder("B3", links, uses={"E2"})
    assert (p.reuse_count, p.mean_reuse_count, p.virgin_fraction) == (1, 1.0, 0.0)
    assert p.use_event_ids == ["E2"]
    assert powder("B1", links, uses={"E2"}).virgin_fraction == 1.0


def test_a_blend_of_30_virgin_and_70_once_used() -> None:
    links = [
        link("B1", "USED", 70, "E1"),  # printed
        link("USED", "BLEND", 70, "E2", LinkKind.MERGED),
        link("VIRGIN", "BLEND", 30, "E2", LinkKind.MERGED),
    ]
    p = powder("BLEND", links, uses={"E1"})
    assert p.reuse_count == 1
    assert p.mean_reuse_count == pytest.approx(0.7)
    assert p.virgin_fraction == pytest.approx(0.3)
    assert p.shares == pytest.approx({0: 0.3, 1: 0.7})


def test_the_blend_printed_again() -> None:
    links = [
        link("B1", "USED", 70, "E1"),
        link("USED", "BLEND", 70, "E2", LinkKind.MERGED),
        link("VIRGIN", "BLEND", 30, "E2", LinkKind.MERGED),
        link("BLEND", "USED2", 90, "E3"),
    ]
    p = powder("USED2", links, uses={"E1", "E3"})
    assert p.reuse_count == 2
    assert p.mean_reuse_count == pytest.approx(1.7)
    assert p.virgin_fraction == 0.0
    assert p.use_event_ids == ["E1", "E3"]


def test_a_diamond_counts_each_use_once_per_path() -> None:
    # One lot split in two, one half printed, blended back together 50/50.
    links = [
        link("LOT", "A", 50, "E1", LinkKind.SPLIT),
        link("LOT", "B", 50, "E1", LinkKind.SPLIT),
        link("A", "A2", 50, "E2"),
        link("A2", "MIX", 50, "E3", LinkKind.MERGED),
        link("B", "MIX", 50, "E3", LinkKind.MERGED),
    ]
    p = powder("MIX", links, uses={"E2"})
    assert p.shares == pytest.approx({0: 0.5, 1: 0.5})


def test_unknown_quantities_mix_in_equal_parts() -> None:
    links = [link("U", "MIX", None, "E2", LinkKind.MERGED), link("V", "MIX", 10, "E2", LinkKind.MERGED)]
    links.append(link("X", "U", 5, "E1"))
    p = powder("MIX", links, uses={"E1"})
    assert p.virgin_fraction == pytest.approx(0.5)


def test_voided_and_packed_links_carry_no_material() -> None:
    links = [
        link("B1", "USED", 70, "E1"),
        link("USED", "BIN", 70, "E2", LinkKind.PACKED),
        link("USED", "X", 70, "E3", voided=True),
    ]
    assert powder("BIN", links, uses={"E1", "E2"}).virgin_fraction == 1.0
    assert powder("X", links, uses={"E1", "E3"}).virgin_fraction == 1.0


def test_a_cycle_in_recorded_data_ends() -> None:
    links = [
        link("A", "B", 10, "E1"),
        link("B", "C", 10, "E2"),
        link("C", "A", 10, "E3"),  # a mistaken reuse closes a loop
        link("V", "A", 10, "E4", LinkKind.MERGED),
    ]
    p = powder("C", links, uses={"E1", "E2", "E3"})
    assert p.cycle
    assert p.reuse_count == 2 and p.virgin_fraction == 0.0
    assert powder("C", [link("C", "C", 1, "E5")], uses={"E5"}).virgin_fraction == 1.0


def test_a_long_chain_and_a_wide_lattice_stay_linear() -> None:
    chain = [link(f"N{i}", f"N{i + 1}", 1, f"E{i % 10}") for i in range(20_000)]
    p = powder("N20000", chain, uses={"E1"})
    assert p.reuse_count == 2000
    # A lattice of 30 levels where each node blends the two below it: 2**30 paths, 60 nodes.
    lattice = []
    for level in range(30):
        for side in "ab":
            for below in "ab":
                lattice.append(link(f"{below}{level}", f"{side}{level + 1}", 1, f"E{level % 2}", LinkKind.MERGED))
    p = powder("a30", lattice, uses={"E1"})
    assert p.reuse_count == 15 and p.mean_reuse_count == pytest.approx(15)
