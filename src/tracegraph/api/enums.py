"""The domain's enums, exposed to GraphQL under these names (registering them once, here)."""

from __future__ import annotations

import strawberry

from ..domain.events import EventType, FindingKind, LinkKind, Source
from ..domain.models import (
    CharacteristicType,
    ContainerType,
    ItemKind,
    LocationKind,
    MaterialKind,
    OrderType,
    Status,
    Tracking,
    VirtualKind,
)
from ..domain.query import Direction
from ..domain.shelf import SkipReason, Stage

strawberry.enum(
    Direction,
    name="TraceDirection",
    description="FORWARD: where material of an item went. BACKWARD: where it came from.",
)
strawberry.enum(EventType, description="What an event did.")
strawberry.enum(Stage, name="ExpiryStage", description="Where a lot stands towards its expiry.")
strawberry.enum(SkipReason, name="FefoSkipReason", description="Why a FEFO proposal passed a lot over.")
strawberry.enum(
    Source,
    name="EventSource",
    description="COMMAND: a mutation checked against the ledger. FACT: a reported fact (EPCIS).",
)
strawberry.enum(LinkKind, description="How material of one item got into another.")
strawberry.enum(FindingKind, description="The kind of imbalance a reported fact brought in.")
strawberry.enum(ItemKind, description="What kind of traceable item.")
strawberry.enum(
    Status,
    name="ItemStatus",
    description="A lot's classification. HOLD and FAIL forbid issuing and shipping; QC and REWORK forbid shipping.",
)
strawberry.enum(Tracking, description="How a material's items are tracked.")
strawberry.enum(MaterialKind, description="The role of a material.")
strawberry.enum(LocationKind, description="Where a location sits in the tree, or VIRTUAL.")
strawberry.enum(VirtualKind, description="What a virtual location stands for.")
strawberry.enum(OrderType, description="What an order is for.")
strawberry.enum(ContainerType, description="PERMANENT (tank, silo, tote) or LOGISTIC (pallet, case).")
strawberry.enum(
    CharacteristicType, description="What a characteristic holds: a number, text, true or false, or a date."
)
