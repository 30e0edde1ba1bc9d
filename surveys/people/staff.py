"""The ward office's staff accounts: volunteers' and village heads' accounts, their villages, password resets and
deactivation. Every change is in the audit log; deactivation and resets end the user's sessions."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from surveys.core.audit import audit
from surveys.core.db import write_transaction
from surveys.core.text import clean
from surveys.core.validation import FieldError, InvalidInput, parse
from surveys.people.hashing import hash_password
from surveys.people.passwords import password_problem
from surveys.people.schemas import AccountCreate, AccountUpdate
from surveys.tables import AuthSession, User, UserVillage, Village, Ward

OFFICER_ROLES = frozenset({"ward_officer", "province_officer"})


@dataclass(frozen=True)
class StaffAccount:
    """A staff account of the ward as the office sees it."""

    id: int
    login: str
    display_name: str
    role: str
    active: bool
    must_change_password: bool
    village_ids: list[int]


async def ward_staff(ward_id: int) -> list[StaffAccount]:
    """The ward's volunteers and village heads (and its officers, and the officers of its province who
    read it), by name."""
    province = Ward.select(Ward.province).where(Ward.id == ward_id)
    users = (
        await User.select(
            User.id, User.login, User.display_name, User.role, User.active, User.must_change_password
        )
        .where((User.ward == ward_id) | ((User.role == "province_officer") & User.province.is_in(province)))
        .order_by(User.display_name)
    )
    villages: dict[int, list[int]] = {}
    if users:
        for row in await UserVillage.select(UserVillage.user, UserVillage.village).where(
            UserVillage.user.is_in([u["id"] for u in users])
        ):
            villages.setdefault(row["user"], []).append(row["village"])
    return [StaffAccount(**u, village_ids=sorted(villages.get(u["id"], []))) for u in users]


async def staff_account(ward_id: int, user_id: int) -> StaffAccount | None:
    """One staff account of the ward (not its officers: they are managed by an admin)."""
    found = [
        m for m in await ward_staff(ward_id) if m.id == user_id and m.role in ("volunteer", "village_head")
    ]
    return found[0] if found else None


async def _check_villages(ward_id: int, village_ids: list[int]) -> None:
    if not village_ids:
        return
    own = {r["id"] for r in await Village.select(Village.id).where(Village.ward == ward_id)}
    if not set(village_ids) <= own:
        raise InvalidInput([FieldError("villages", "invalid_choice")])


def parse_account(raw: dict[str, Any], cls: type[Any]) -> Any:
    """An account form as a struct; names NFC-trimmed, logins lower-cased; every bad field named."""
    cleaned = dict(raw)
    if isinstance(cleaned.get("display_name"), str):
        cleaned["display_name"] = clean(cleaned["display_name"])
    if isinstance(cleaned.get("login"), str):
        cleaned["login"] = cleaned["login"].strip().lower()
    errors: list[FieldError] = []
    password = cleaned.get("password") if "password" in cls.__struct_fields__ else None
    if isinstance(password, str) and (problem := password_problem(password, str(cleaned.get("login", "")))):
        errors.append(FieldError("password", problem))
    try:
        result = parse(cleaned, cls)
    except InvalidInput as exc:
        named = {e.field for e in exc.errors}
        raise InvalidInput([*exc.errors, *(e for e in errors if e.field not in named)]) from exc
    if errors:
        raise InvalidInput(errors)
    return result


async def create_account(
    ward_id: int, data: AccountCreate, actor_id: int, client_addr: str = "", officers: bool = False
) -> int:
    """Create a volunteer or village head of the ward with their villages; with `officers` (an admin
    asking), also a ward officer of the ward or a province officer of its province (no villages)."""
    if data.role in OFFICER_ROLES and not officers:
        raise InvalidInput([FieldError("role", "invalid_choice")])
    await _check_villages(ward_id, data.villages)
    ward = await Ward.select(Ward.province).where(Ward.id == ward_id).first()
    if ward is None:
        raise LookupError(ward_id)
    villages = [] if data.role in OFFICER_ROLES else sorted(set(data.villages))
    # Hashed before the transaction: argon2's ~50 ms would hold the write lock, and on SQLite every
    # other writer of the commune would wait for it.
    password_hash = await hash_password(data.password)
    async with write_transaction():
        if await User.exists().where(User.login == data.login):
            raise InvalidInput([FieldError("login", "login_taken")])
        inserted = await User.insert(
            User(
                {
                    User.login: data.login,
                    User.display_name: data.display_name,
                    User.password_hash: password_hash,
                    User.role: data.role,
                    User.ward: None if data.role == "province_officer" else ward_id,
                    User.province: ward["province"] if data.role == "province_officer" else None,
                    # The office chose this password: the user sets their own at first sign-in.
                    User.must_change_password: True,
                }
            )
        )
        user_id = int(inserted[0]["id"])
        if villages:
            await UserVillage.insert(*[UserVillage(user=user_id, village=v) for v in villages])
        details = {"login": data.login, "role": data.role, "villages": villages}
        await audit("account.created", "user", user_id, actor_id, details, client_addr)
    return user_id


async def update_account(
    ward_id: int, user_id: int, data: AccountUpdate, actor_id: int, client_addr: str = ""
) -> None:
    """Change an account's name, role and villages, recording before and after."""
    await _check_villages(ward_id, data.villages)
    before = await staff_account(ward_id, user_id)
    if before is None:
        raise LookupError(user_id)
    async with write_transaction():
        await User.update({User.display_name: data.display_name, User.role: data.role}).where(
            User.id == user_id
        )
        await UserVillage.delete().where(UserVillage.user == user_id)
        if data.villages:
            await UserVillage.insert(
                *[UserVillage(user=user_id, village=v) for v in sorted(set(data.villages))]
            )
        changes = {
            "before": {
                "display_name": before.display_name,
                "role": before.role,
                "villages": before.village_ids,
            },
            "after": {
                "display_name": data.display_name,
                "role": data.role,
                "villages": sorted(set(data.villages)),
            },
        }
        await audit("account.updated", "user", user_id, actor_id, changes, client_addr)


async def reset_password(user_id: int, temporary: str, actor_id: int, client_addr: str = "") -> None:
    """Give the account a temporary password it must change at next sign-in; its sessions end."""
    if problem := password_problem(temporary):
        raise InvalidInput([FieldError("password", problem)])
    password_hash = await hash_password(temporary)  # before the transaction, as in create_account
    async with write_transaction():
        await User.update({User.password_hash: password_hash, User.must_change_password: True}).where(
            User.id == user_id
        )
        await AuthSession.delete().where(AuthSession.user == user_id)
        await audit("account.password_reset", "user", user_id, actor_id, {}, client_addr)


async def set_active(user_id: int, active: bool, actor_id: int, client_addr: str = "") -> None:
    """Deactivate (its sessions and API tokens stop at once) or reactivate an account."""
    async with write_transaction():
        await User.update({User.active: active}).where(User.id == user_id)
        if not active:
            await AuthSession.delete().where(AuthSession.user == user_id)
        await audit(
            "account.activated" if active else "account.deactivated",
            "user",
            user_id,
            actor_id,
            {},
            client_addr,
        )


async def change_own_password(
    user_id: int, login: str, new_password: str, keep_session: str, client_addr: str = ""
) -> None:
    """The user's own new password; other sessions of theirs end, the current one goes on."""
    if problem := password_problem(new_password, login):
        raise InvalidInput([FieldError("new_password", problem)])
    from surveys.people.accounts import _token_hash

    # Hashed before the transaction: no writer waits for argon2.
    password_hash = await hash_password(new_password)
    async with write_transaction():
        await User.update({User.password_hash: password_hash, User.must_change_password: False}).where(
            User.id == user_id
        )
        await AuthSession.delete().where(
            (AuthSession.user == user_id) & (AuthSession.token_hash != _token_hash(keep_session))
        )
        await audit("account.password_changed", "user", user_id, user_id, {}, client_addr)
