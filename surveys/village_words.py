"""What a ward calls the places below it: thôn, xóm, bản, ấp, tổ dân phố or khu phố. A ward sets it
once (default thôn), and the pages its volunteers read use that word."""

from __future__ import annotations

from typing import Literal

from msgspec import Struct

from surveys.audit import audit
from surveys.db import write_transaction
from surveys.tables import Ward

VillageWord = Literal["thon", "xom", "ban", "ap", "to_dan_pho", "khu_pho"]


class VillageWordUpdate(Struct, kw_only=True):
    """The ward's word for its villages."""

    village_word: VillageWord


async def village_word_of(ward_id: int) -> str:
    """The word the ward uses for its villages (a code of `messages.VILLAGE_WORDS`)."""
    row = await Ward.select(Ward.village_word).where(Ward.id == ward_id).first()
    return str(row["village_word"]) if row else "thon"


async def save_village_word(
    ward_id: int, update: VillageWordUpdate, user_id: int, client_addr: str = ""
) -> None:
    """Set the ward's word for its villages, recording the change in the audit log."""
    async with write_transaction():
        before = await village_word_of(ward_id)
        await Ward.update({Ward.village_word: update.village_word}).where(Ward.id == ward_id)
        details = {"before": before, "after": update.village_word}
        await audit("ward.village_word", "ward", ward_id, user_id, details, client_addr)
