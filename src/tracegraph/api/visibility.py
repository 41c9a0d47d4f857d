"""The GraphQL side of partner visibility: the fields an organization's key may read.

Visibility itself is decided in services/visibility.py and applied by the resolvers that read
items, events and traces. The fields below are those whose answers go through it; every other
field is refused to a caller whose visibility is restricted (an organization's key) with a
GraphQL error FORBIDDEN, until it is filtered too: closed by default, so that no field forgets
to filter. The server's admin key reads everything.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from strawberry.extensions import SchemaExtension

from ..domain.auth import FORBIDDEN
from .context import Context
from .errors import ApiError

_ITEM = {
    "id",
    "kind",
    "materialId",
    "unit",
    "lotCode",
    "status",
    "manufacturedAt",
    "expiresAt",
    "characteristics",
    "conversions",
    "containerType",
    "originKnown",
    "firstEventTime",
    # resolvers that filter what they list
    "parent",
    "onHand",
    "quantityOnHand",
    "balances",
    "events",
    "inputs",
    "outputs",
    "createdByEvent",
}
_EVENT = {
    "id",
    "type",
    "source",
    "eventTime",
    "recordedAt",
    "locationId",
    "orderId",
    "shipmentId",
    "partnerId",
    "bizStep",
    "disposition",
    "reason",
    "recordedBy",
    "itemIds",
    "moves",
    "links",
    "statusChanges",
    "items",
}  # an event's item lists are redacted to what the caller may see
_PAGE = {"edges", "pageInfo", "node", "cursor", "totalCount"}
_PAYLOAD = {"errors", "event", "events", "duplicate", "key", "apiKey", "organization"}

# Type -> the fields a restricted caller may read; a type not named here is refused whole.
READABLE: dict[str, set[str] | None] = {  # None: every field
    "Query": {
        "viewer",
        "apiKeys",
        "trace",
        "item",
        "items",
        "event",
        "events",
        "organization",
        "organizations",
        "stock",
        "auditLog",
        "recall",
        "recalls",
        "recallNotices",
    },
    "AuditEntry": None,
    "AuditEntryConnection": _PAGE,
    "AuditEntryEdge": _PAGE,
    "Balance": {"itemId", "locationId", "materialId", "quantity", "unit", "virtual", "item"},
    "BalanceConnection": _PAGE,
    "BalanceEdge": _PAGE,
    "Mutation": None,
    "Subscription": {"eventRecorded", "stockChanged", "itemStatusChanged", "recallProgress", "recallNoticeReceived"},
    "StockChange": None,
    "ItemStatusChange": None,
    "Viewer": None,
    "ApiKey": None,
    "Organization": None,
    "UserError": None,
    "PageInfo": None,
    "Conversion": None,
    "StatusChange": None,
    "TraceEdge": None,
    "HiddenItems": None,
    "OrganizationConnection": _PAGE,
    "OrganizationEdge": _PAGE,
    "Item": _ITEM,
    "ItemConnection": _PAGE,
    "ItemEdge": _PAGE,
    "Event": _EVENT,
    "EventConnection": _PAGE,
    "EventEdge": _PAGE,
    "Move": {"itemId", "fromLocationId", "toLocationId", "quantity", "item"},
    "Link": {"sourceId", "targetId", "kind", "quantity", "source", "target"},
    "Trace": {"rootId", "rootIds", "direction", "items", "edges", "count", "itemPage", "root", "hidden"},
    "TraceItem": {"id", "depth", "item", "kind", "materialId", "lotCode", "status"},
    "TraceItemConnection": _PAGE,
    "TraceItemEdge": _PAGE,
    "RecordedEvent": {"id", "type", "source", "eventTime", "recordedAt", "itemIds", "locationId", "event"},
    "CreateApiKeyPayload": None,
    "RevokeApiKeyPayload": None,
    "RenameOrganizationPayload": None,
    "CreateOrganizationPayload": None,
    "RecordEventsPayload": _PAYLOAD,
    "CreateMaterialPayload": {"errors"},
    "CreateLocationPayload": {"errors"},
    "CreateOrderPayload": {"errors"},
    "OpenRecallPayload": {"errors", "recall"},
    "HoldRecallPayload": {"errors", "recall", "heldItemIds"},
    "RecallPayload": {"errors", "recall"},
    "ShareItemPayload": None,
    "ItemShare": None,
    # A recall as the caller may see it (services/recall.py, Recalls.view): its items, figures,
    # report and progress over what the caller may see, the rest counted in `hidden`.
    "Recall": None,
    "RecallConnection": _PAGE,
    "RecallEdge": _PAGE,
    "RecallNote": None,
    "SuspectFigures": None,
    "AffectedItem": None,
    "AffectedItemConnection": _PAGE,
    "AffectedItemEdge": _PAGE,
    "RecallReport": None,
    "RecallItemTotals": None,
    "MassBalance": None,
    "TraceGap": None,
    "RecallStock": {"itemId", "locationId", "quantity", "unit", "status", "partnerId"},  # not `location`
    "Delivery": {"itemId", "quantity", "eventId", "eventTime", "shipmentId", "partnerId", "destinationId"},
    "RecallProgress": None,
    "RecallNotice": None,
    "RecallNoticeConnection": _PAGE,
    "RecallNoticeEdge": _PAGE,
    "RecallNoticePayload": {"errors", "notice"},
}


def readable(type_name: str, field: str) -> bool:
    if type_name.endswith("Payload") and type_name not in READABLE:
        return field in _PAYLOAD  # the event payloads
    allowed = READABLE.get(type_name, set())
    return allowed is None or field in allowed or field == "__typename"


class RestrictFields(SchemaExtension):
    """Refuse, to an organization's key, the fields not yet filtered by visibility."""

    def resolve(self, _next: Callable[..., Any], root: Any, info: Any, *args: Any, **kwargs: Any) -> Any:
        context = info.context
        if isinstance(context, Context) and context.principal is not None and not context.principal.is_admin:
            type_name = info.parent_type.name
            if not readable(type_name, info.field_name):
                raise ApiError(
                    f"{type_name}.{info.field_name} is not available to an organization's key yet: "
                    "it is not filtered by partner visibility",
                    code=FORBIDDEN,
                )
        return _next(root, info, *args, **kwargs)
