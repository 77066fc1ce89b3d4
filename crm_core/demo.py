"""Generated demo data: every enabled plugin adds its own through ``crm_demo_data``.

All of it is made from a seeded random generator, so two demo databases are
alike, and every generated customer carries the tag ``generated-demo``.
"""

from __future__ import annotations

import random
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import attrs
from sqlalchemy import Connection, func, select

from .security import SYSTEM, Actor, hash_password
from .storage import schema
from .storage.database import new_id
from .storage.types import utcnow

if TYPE_CHECKING:
    from .host import Host

DEMO_TAG = "generated-demo"

FIRST = (
    "Ana",
    "Ben",
    "Chen",
    "Dana",
    "Emil",
    "Fatima",
    "Goran",
    "Hana",
    "Ivan",
    "Jia",
    "Kofi",
    "Lena",
    "Mateo",
    "Nora",
    "Omar",
    "Priya",
    "Quinn",
    "Rosa",
    "Sven",
    "Tomas",
    "Uma",
    "Vera",
    "Wei",
    "Yusuf",
    "Zoe",
)
LAST = (
    "Alvarez",
    "Brandt",
    "Costa",
    "Dubois",
    "Eriksen",
    "Fischer",
    "Garcia",
    "Haddad",
    "Ito",
    "Jensen",
    "Kowalski",
    "Larsen",
    "Moreau",
    "Novak",
    "Okafor",
    "Petrov",
    "Quist",
    "Rossi",
    "Schmidt",
    "Tanaka",
    "Ulrich",
    "Varga",
    "Weber",
    "Yilmaz",
    "Zhang",
)
ORG_PARTS = (
    "Acme",
    "Blue",
    "Cedar",
    "Delta",
    "Ember",
    "Fjord",
    "Granite",
    "Harbor",
    "Iris",
    "Juniper",
    "Kestrel",
    "Lumen",
    "Maple",
    "Nimbus",
    "Orbit",
    "Pioneer",
)
ORG_KINDS = ("Logistics", "Foods", "Health", "Systems", "Energy", "Retail", "Studios")
ROLES = ("Buyer", "CFO", "Office manager", "Head of IT", "Procurement lead", "Owner")
CITIES = (
    ("Berlin", "DE", "10115"),
    ("Lyon", "FR", "69001"),
    ("Austin", "US", "73301"),
    ("Osaka", "JP", "530-0001"),
    ("Porto", "PT", "4000-001"),
    ("Leeds", "GB", "LS1 1AA"),
)
ACTIVITY_KINDS = (
    ("email", "email_sent", "Follow-up on proposal"),
    ("phone", "call", "Discovery call"),
    ("in_person", "meeting", "On-site visit"),
    ("web", "page_visit", "Visited pricing page"),
    ("email", "email_received", "Question about delivery times"),
)


@attrs.define
class DemoContext:
    """What a plugin's demo loader gets: the host, a seeded generator, the demo users."""

    host: Host
    random: random.Random
    actor: Actor
    users: list[dict[str, Any]] = attrs.field(factory=list)
    customers: list[int] = attrs.field(factory=list)


def has_demo_data(host: Host) -> bool:
    with host.db.connect() as connection:
        count = connection.execute(
            select(func.count()).select_from(schema.customer)
        ).scalar_one()
    return bool(count)


def load(host: Host, seed: int = 7) -> DemoContext:
    """Create demo users and let every plugin (the core first) add its data."""
    demo = DemoContext(host=host, random=random.Random(seed), actor=SYSTEM)
    with host.db.transaction() as connection:
        demo.users = _users(connection)
    host.plugins.notify("crm_demo_data", base_first=True, demo=demo)
    return demo


def _users(connection: Connection) -> list[dict[str, Any]]:
    now = utcnow()
    t, u = schema.team, schema.user
    head = new_id(
        connection.execute(
            t.insert().values(
                name="Head office", kind="office", created_at=now, updated_at=now
            )
        )
    )
    teams = {}
    for name in ("Team North", "Team South"):
        teams[name] = new_id(
            connection.execute(
                t.insert().values(
                    name=name, parent_id=head, created_at=now, updated_at=now
                )
            )
        )
    people = [
        ("Mira Manager", "manager", head),
        ("Nils North", "agent", teams["Team North"]),
        ("Nadia North", "agent", teams["Team North"]),
        ("Sam South", "agent", teams["Team South"]),
        ("Sofia South", "agent", teams["Team South"]),
    ]
    users = []
    for name, role, team_id in people:
        email = name.lower().replace(" ", ".") + "@demo.example.com"
        user_id = new_id(
            connection.execute(
                u.insert().values(
                    email=email,
                    name=name,
                    role=role,
                    team_id=team_id,
                    password_hash=hash_password("demo-password"),
                    created_at=now,
                    updated_at=now,
                )
            )
        )
        users.append({"id": user_id, "name": name, "role": role, "team_id": team_id})
    return users


def core_demo_data(demo: DemoContext) -> None:
    """A few hundred customers with relationships and activities."""
    rng, host = demo.random, demo.host
    agents = [user for user in demo.users if user["role"] == "agent"]
    with host.db.transaction() as connection:
        orgs = [
            _organisation(connection, demo, rng, agents, index) for index in range(60)
        ]
        for index, org_id in enumerate(orgs[10:], start=10):
            if index % 7 == 0:
                connection.execute(
                    schema.customer.update()
                    .where(schema.customer.c.id == org_id)
                    .values(parent_id=orgs[index % 10])
                )
        people = [
            _person(connection, demo, rng, agents, orgs, index) for index in range(240)
        ]
        _activities(connection, rng, orgs + people, agents)
    demo.customers = orgs + people


def _organisation(
    connection: Connection,
    demo: DemoContext,
    rng: random.Random,
    agents: list[dict[str, Any]],
    index: int,
) -> int:
    name = f"{ORG_PARTS[index % len(ORG_PARTS)]} {ORG_KINDS[index % len(ORG_KINDS)]}"
    if index >= len(ORG_PARTS):
        name += f" {index // len(ORG_PARTS) + 1}"
    city, country, postcode = rng.choice(CITIES)
    owner = rng.choice(agents)
    return _create(
        connection,
        demo,
        {
            "kind": "organisation",
            "name": name,
            "emails": [f"info@{name.lower().replace(' ', '-')}.example.com"],
            "addresses": [{"city": city, "country": country, "postcode": postcode}],
            "tags": [DEMO_TAG],
            "lifecycle_stage": rng.choice(["prospect", "customer", "customer"]),
        },
        owner,
    )


def _person(
    connection: Connection,
    demo: DemoContext,
    rng: random.Random,
    agents: list[dict[str, Any]],
    orgs: list[int],
    index: int,
) -> int:
    first, last = rng.choice(FIRST), rng.choice(LAST)
    owner = rng.choice(agents)
    phone = f"+4930{rng.randrange(1000000, 9999999)}"
    person = _create(
        connection,
        demo,
        {
            "kind": "person",
            "name": f"{first} {last}",
            "emails": [f"{first}.{last}.{index}@example.com".lower()],
            "phones": [phone],
            "tags": [DEMO_TAG],
            "lifecycle_stage": rng.choice(["lead", "prospect", "customer"]),
            "preferences": {"language": rng.choice(["en", "zh"]), "channel": "email"},
        },
        owner,
    )
    if index % 4 != 3:
        now = utcnow()
        connection.execute(
            schema.relationship.insert().values(
                person_id=person,
                organisation_id=orgs[index % len(orgs)],
                role=rng.choice(ROLES),
                created_at=now,
                updated_at=now,
            )
        )
    return person


def _create(
    connection: Connection,
    demo: DemoContext,
    data: dict[str, Any],
    owner: dict[str, Any],
) -> int:
    record = demo.host.customers.create(connection, demo.actor, data)
    connection.execute(
        schema.customer.update()
        .where(schema.customer.c.id == record["id"])
        .values(owner_id=owner["id"], team_id=owner["team_id"])
    )
    return int(record["id"])


def _activities(
    connection: Connection,
    rng: random.Random,
    customers: list[int],
    agents: list[dict[str, Any]],
) -> None:
    now = utcnow()
    rows = []
    for customer_id in customers:
        for _ in range(rng.randrange(2, 7)):
            channel, kind, subject = rng.choice(ACTIVITY_KINDS)
            rows.append(
                {
                    "customer_id": customer_id,
                    "channel": channel,
                    "kind": kind,
                    "occurred_at": now
                    - timedelta(
                        days=rng.randrange(0, 400), minutes=rng.randrange(0, 1440)
                    ),
                    "actor_id": rng.choice(agents)["id"],
                    "subject": subject,
                    "body": "Generated demo activity.",
                    "created_at": now,
                    "updated_at": now,
                }
            )
    connection.execute(schema.activity.insert(), rows)
