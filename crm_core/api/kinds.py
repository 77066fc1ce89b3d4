"""The records reached through customers that have routes of their own."""

from __future__ import annotations

from datetime import datetime

from ..activities import (
    ActivityChangeSchema,
    ActivityListArgs,
    ActivityService,
    NewActivitySchema,
)
from ..relationships import (
    NewRelationshipSchema,
    RelationshipChangeSchema,
    RelationshipListArgs,
    RelationshipService,
)
from .records import RecordKind
from .schemas import (
    ActivityPageSchema,
    ActivitySchema,
    RelationshipPageSchema,
    RelationshipSchema,
)

ACTIVITIES = RecordKind(
    name="activity",
    plural="activities",
    service=ActivityService,
    schema=ActivitySchema,
    page_schema=ActivityPageSchema,
    new_schema=NewActivitySchema,
    change_schema=ActivityChangeSchema,
    list_args=ActivityListArgs,
    cursor=(datetime, int),
    description="The timeline: touchpoints on customers, newest first",
)

RELATIONSHIPS = RecordKind(
    name="relationship",
    plural="relationships",
    service=RelationshipService,
    schema=RelationshipSchema,
    page_schema=RelationshipPageSchema,
    new_schema=NewRelationshipSchema,
    change_schema=RelationshipChangeSchema,
    list_args=RelationshipListArgs,
    cursor=(int,),
    description="People working at organisations",
)
