"""The shapes of what the register receives: a household added or corrected with its members, what a
ward calls its villages. Validation constraints sit on the types."""

from __future__ import annotations

from typing import Annotated, Literal

from msgspec import Meta, Struct

from surveys.schemas import BirthYear, Name, Sex

VillageWord = Literal["thon", "xom", "ban", "ap", "to_dan_pho", "khu_pho"]
Address = Annotated[str, Meta(min_length=1, max_length=200)]


class VillageWordUpdate(Struct, kw_only=True):
    """The ward's word for its villages."""

    village_word: VillageWord


class RegisterMember(Struct, kw_only=True):
    """A member as the register keeps them: who, not their answers (visits record those)."""

    id: int | None = None
    full_name: Name
    birth_year: BirthYear
    sex: Sex = ""
    is_head: bool = False
    removed: bool = False


class HouseholdCreate(Struct, kw_only=True):
    """A new household: its address and at least its head."""

    address: Address
    members: list[RegisterMember]


class HouseholdUpdate(Struct, kw_only=True):
    """Corrections to a household: address, village, members. `version` guards against a lost edit."""

    version: Annotated[int, Meta(ge=1)]
    village: int
    address: Address
    members: list[RegisterMember] = []
