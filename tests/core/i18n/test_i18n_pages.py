"""Customer pages in English and Simplified Chinese, and choosing the language."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import select

from crm_core.storage import schema


@pytest.fixture
def ana(crm_host, signed_in):
    """A customer with a decimal budget, a renewal date and one activity."""
    owner = signed_in()
    with crm_host.db.transaction() as connection:
        actor = crm_host.actor(connection, owner.user["id"])
        record = crm_host.customers.create(
            connection,
            actor,
            {
                "name": "Ana Lima",
                "emails": ["ana@example.com"],
                "lifecycle_stage": "prospect",
                "attributes": {"budget": "1234.50", "renewal": "2025-01-31"},
            },
        )
        now = datetime.now(UTC)
        connection.execute(
            schema.activity.insert().values(
                customer_id=record["id"],
                channel="email",
                kind="note",
                occurred_at=datetime(2024, 3, 1, 12, 0, tzinfo=UTC),
                subject="Spring offer",
                created_at=now,
                updated_at=now,
            )
        )
    return record


def text(response):
    return re.sub(r"\s+", " ", response.get_data(as_text=True))


def test_customer_pages_in_english_and_chinese(signed_in, ana):
    """Labels, a date in the reader's zone, a decimal and money follow the language."""
    english = signed_in(language="en", timezone="Asia/Shanghai")
    chinese = signed_in(language="zh_Hans_CN", timezone="Asia/Shanghai")
    en_list, zh_list = text(english.get("/customers")), text(chinese.get("/customers"))
    assert "<h1>Customers</h1>" in en_list and "New person" in en_list
    assert "<h1>客户</h1>" in zh_list and "新建个人" in zh_list and "搜索" in zh_list
    assert ">prospect</span>" in en_list and ">潜在客户</span>" in zh_list
    en_page = text(english.get(f"/customers/{ana['id']}"))
    zh_page = text(chinese.get(f"/customers/{ana['id']}"))
    assert '<h2 id="timeline-title">Timeline</h2>' in en_page
    assert '<h2 id="timeline-title">时间线</h2>' in zh_page
    assert '<html lang="zh-Hans-CN">' in zh_page and '<html lang="en">' in en_page
    # 12:00 UTC is 20:00 in Shanghai; English keeps the ISO order.
    assert "2024-03-01 20:00" in en_page
    assert "2024年3月1日 20:00" in zh_page
    assert "<dd>2025-01-31</dd>" in en_page and "<dd>2025年1月31日</dd>" in zh_page
    assert "<dd>1,234.50</dd>" in en_page and "<dd>1,234.50</dd>" in zh_page
    assert "Lifetime value: CN¥1,234.50" in en_page
    assert "客户终身价值: ¥1,234.50" in zh_page


def test_hook_crm_translations_adds_a_plugins_catalogue(signed_in):
    """A plugin's own .po file translates its navigation entry and panel texts."""
    chinese = text(signed_in(language="zh_Hans_CN").get("/customers"))
    english = text(signed_in(language="en").get("/customers"))
    assert ">订单</a>" in chinese
    assert ">Orders</a>" in english


def test_the_language_switch_stores_the_users_choice(signed_in, crm_host, token):
    """Switching language updates the account, with an audit entry, and the pages."""
    client = signed_in(language="en")
    response = client.post(
        "/language",
        data={
            "language": "zh_Hans_CN",
            "next": "/customers",
            "csrf_token": token(client, "/customers"),
        },
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/customers"
    with crm_host.db.connect() as connection:
        stored = connection.execute(
            select(schema.user.c.language).where(schema.user.c.id == client.user["id"])
        ).scalar()
        entry = connection.execute(
            select(schema.audit.c.changes).where(
                schema.audit.c.record_type == "user",
                schema.audit.c.record_id == str(client.user["id"]),
            )
        ).scalar()
    assert stored == "zh_Hans_CN"
    assert entry == {"language": ["en", "zh_Hans_CN"]}
    page = text(client.get("/customers"))
    assert "页面语言已切换为简体中文。" in page and "<h1>客户</h1>" in page


def test_a_language_not_offered_is_refused(signed_in, token):
    """Only the offered languages can be chosen."""
    client = signed_in()
    response = client.post(
        "/language",
        data={"language": "fr", "csrf_token": token(client, "/customers")},
    )
    assert response.status_code == 400


@pytest.mark.parametrize(
    ("header", "heading"),
    [
        ("zh-CN,zh;q=0.9,en;q=0.8", "登录 Strata"),
        ("en-GB,en;q=0.9", "Sign in to Strata"),
        ("zh-TW,fr;q=0.8", "Sign in to Strata"),
        ("fr-FR,zh;q=0.5", "登录 Strata"),
    ],
)
def test_anonymous_pages_follow_accept_language(crm_app, header, heading):
    """Without an account the browser's preferred languages decide."""
    page = text(
        crm_app.test_client().get("/login", headers={"Accept-Language": header})
    )
    assert f'<h1 id="login-title">{heading}</h1>' in page


def test_an_anonymous_choice_is_kept_in_the_browser(crm_app, token):
    """Someone not signed in switches language for their own browser."""
    client = crm_app.test_client()
    client.post(
        "/language",
        data={"language": "zh_Hans_CN", "next": "/login", "csrf_token": token(client)},
    )
    page = text(client.get("/login", headers={"Accept-Language": "en"}))
    assert "登录 Strata" in page
    assert "Sign in to Strata" in text(crm_app.test_client().get("/login"))


def test_error_pages_are_translated(signed_in):
    """A missing page says so in the reader's language."""
    page = text(signed_in(language="zh_Hans_CN").get("/customers/987654"))
    assert "<h1>未找到</h1>" in page
    assert "没有您可以查看的 987654 号客户。" in page


def test_a_decimal_keeps_its_places(signed_in, crm_host, ana):
    """A stored 1234.50 is not shown as 1,234.5."""
    assert isinstance(ana["attributes"]["budget"], Decimal)
    assert "1,234.50" in text(signed_in().get(f"/customers/{ana['id']}"))
