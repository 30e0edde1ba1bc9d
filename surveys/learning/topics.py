"""Class topics: the plans' topics (`words.PLAN_TOPICS`) less those a ward retired, plus its own."""

from __future__ import annotations

from surveys.core.audit import audit
from surveys.core.db import write_transaction
from surveys.core.i18n import gettext
from surveys.core.text import clean
from surveys.core.validation import FieldError, InvalidInput
from surveys.learning.words import PLAN_TOPICS
from surveys.tables import ClassTopic


async def ward_topics(ward_id: int, offered_only: bool = True) -> dict[str, str]:
    """The ward's topics, key → name in the current language; with `offered_only` False also the retired
    ones (a past class still names them)."""
    rows = await ClassTopic.select().where(ClassTopic.ward == ward_id).order_by(ClassTopic.id)
    retired = {r["key"] for r in rows if r["key"] and not r["active"]}
    topics = {k: gettext(v) for k, v in PLAN_TOPICS.items() if not offered_only or k not in retired}
    topics.update(
        {f"w{r['id']}": r["name"] for r in rows if not r["key"] and (r["active"] or not offered_only)}
    )
    return topics


async def add_topic(ward_id: int, name: str, user_id: int, client_addr: str = "") -> str:
    """Add a topic of the ward's own; returns its key."""
    name = clean(name)
    if not name:
        raise InvalidInput([FieldError("name", "required")])
    if len(name) > 100:
        raise InvalidInput([FieldError("name", "too_long")])
    if name.casefold() in {t.casefold() for t in (await ward_topics(ward_id)).values()}:
        raise InvalidInput([FieldError("name", "topic_exists")])
    async with write_transaction():
        inserted = await ClassTopic.insert(ClassTopic(ward=ward_id, name=name))
        topic_id = int(inserted[0]["id"])
        await audit("topic.added", "ward", ward_id, user_id, {"topic": f"w{topic_id}"}, client_addr)
    return f"w{topic_id}"


async def set_topic_offered(
    ward_id: int, key: str, offered: bool, user_id: int, client_addr: str = ""
) -> None:
    """Retire a topic (classes already held keep it) or offer it again."""
    if key not in await ward_topics(ward_id, offered_only=False):
        raise InvalidInput([FieldError("topic", "unknown_topic")])
    async with write_transaction():
        if key in PLAN_TOPICS:
            await ClassTopic.delete().where((ClassTopic.ward == ward_id) & (ClassTopic.key == key))
            if not offered:
                await ClassTopic.insert(ClassTopic(ward=ward_id, key=key, active=False))
        else:
            await ClassTopic.update({ClassTopic.active: offered}).where(
                (ClassTopic.ward == ward_id) & (ClassTopic.id == int(key[1:]))
            )
        action = "topic.offered" if offered else "topic.retired"
        await audit(action, "ward", ward_id, user_id, {"topic": key}, client_addr)
