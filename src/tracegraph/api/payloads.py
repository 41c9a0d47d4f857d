"""The results of the mutations: what was created or recorded, or the user errors that kept
anything from being written."""

from __future__ import annotations

import strawberry

from ..domain import events as DE
from .errors import UserError
from .ledger import Event, Item, Order
from .master import Location, Material, Organization


@strawberry.type(description="The result of createOrganization.")
class CreateOrganizationPayload:
    organization: Organization | None = strawberry.field(description="The organization created.")
    errors: list[UserError] = strawberry.field(description="Why nothing was created; empty on success.")


@strawberry.type(description="The result of createMaterial.")
class CreateMaterialPayload:
    material: Material | None = strawberry.field(description="The material created.")
    errors: list[UserError] = strawberry.field(description="Why nothing was created; empty on success.")


@strawberry.type(description="The result of createLocation.")
class CreateLocationPayload:
    location: Location | None = strawberry.field(description="The location created.")
    errors: list[UserError] = strawberry.field(description="Why nothing was created; empty on success.")


@strawberry.type(description="The result of createOrder.")
class CreateOrderPayload:
    order: Order | None = strawberry.field(description="The order created.")
    errors: list[UserError] = strawberry.field(description="Why nothing was created; empty on success.")


@strawberry.type(description="The result of recording one event.")
class EventPayload:
    event: Event | None = strawberry.field(
        description="The event recorded; the earlier one when `duplicate` is true; null on errors."
    )
    duplicate: bool = strawberry.field(
        default=False,
        description="True when this event (same id, or same content) was recorded before: nothing new was written.",
    )
    errors: list[UserError] = strawberry.field(
        default_factory=list, description="Why nothing was written; empty on success."
    )

    @classmethod
    def of(cls, entry: DE.LedgerEntry | None = None, errors: list[UserError] | None = None) -> EventPayload:
        if entry is None:
            return cls(event=None, errors=errors or [])
        return cls(event=Event.from_model(entry.event), duplicate=entry.duplicate, errors=[])


@strawberry.type(description="The result of assemble.")
class AssemblePayload(EventPayload):
    pass


@strawberry.type(description="The result of disassemble.")
class DisassemblePayload(EventPayload):
    pass


@strawberry.type(description="The result of receive.")
class ReceivePayload(EventPayload):
    pass


@strawberry.type(description="The result of issue.")
class IssuePayload(EventPayload):
    pass


@strawberry.type(description="The result of produce.")
class ProducePayload(EventPayload):
    pass


@strawberry.type(description="The result of split.")
class SplitPayload(EventPayload):
    pass


@strawberry.type(description="The result of merge.")
class MergePayload(EventPayload):
    pass


@strawberry.type(description="The result of pack.")
class PackPayload(EventPayload):
    pass


@strawberry.type(description="The result of unpack.")
class UnpackPayload(EventPayload):
    pass


@strawberry.type(description="The result of cleanContainer.")
class CleanContainerPayload(EventPayload):
    pass


@strawberry.type(description="The result of move.")
class MovePayload(EventPayload):
    pass


@strawberry.type(description="The result of ship.")
class ShipPayload(EventPayload):
    pass


@strawberry.type(description="The result of returnItems.")
class ReturnItemsPayload(EventPayload):
    pass


@strawberry.type(description="The result of adjust.")
class AdjustPayload(EventPayload):
    pass


@strawberry.type(description="The result of scrap.")
class ScrapPayload(EventPayload):
    pass


@strawberry.type(description="The result of reclassify.")
class ReclassifyPayload(EventPayload):
    pass


@strawberry.type(description="The result of setCharacteristics.")
class SetCharacteristicsPayload(EventPayload):
    pass


@strawberry.type(description="The result of correct.")
class CorrectPayload(EventPayload):
    pass


@strawberry.type(description="The result of recordEvents: every event recorded, or none.")
class RecordEventsPayload:
    events: list[Event] | None = strawberry.field(
        description="The events recorded, in the order given; null on errors."
    )
    errors: list[UserError] = strawberry.field(description="Why nothing was written; empty on success.")


@strawberry.type(description="The result of defineCharacteristics.")
class DefineCharacteristicsPayload:
    material: Material | None = strawberry.field(description="The material, with its definitions as now defined.")
    errors: list[UserError] = strawberry.field(description="Why nothing was changed; empty on success.")


@strawberry.type(description="The result of setAllowedMaterials.")
class SetAllowedMaterialsPayload:
    item: Item | None = strawberry.field(description="The container, with the materials it now allows.")
    errors: list[UserError] = strawberry.field(description="Why nothing was changed; empty on success.")
