"""FastAPI dependencies: the hub's state, and who is asking."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request

from mimamori.hub.access.auth import SESSION_COOKIE, token_hash
from mimamori.hub.access.policy import Principal, can_see, can_see_household
from mimamori.hub.model.accounts import CredentialKind
from mimamori.hub.register.schema import HouseholdEntry, PersonEntry
from mimamori.hub.server.state import HubState


def hub_state(request: Request) -> HubState:
    state: HubState = request.app.state.hub
    return state


Hub = Annotated[HubState, Depends(hub_state)]


async def find_principal(request: Request, hub: HubState) -> Principal | None:
    """A bearer token (API clients) or the session cookie (browsers); else None."""
    now = hub.clock()
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value:
        found = await hub.store.find_credential(
            CredentialKind.TOKEN, token_hash(value.strip()), now
        )
    elif cookie := request.cookies.get(SESSION_COOKIE):
        found = await hub.store.find_credential(CredentialKind.SESSION, token_hash(cookie), now)
    else:
        return None
    if found is None:
        return None
    if found.user_id is None:
        return Principal(found.role, found.family_id, found.name)
    # An account's credential: its current role and assignments, unless disabled.
    account = await hub.store.user(found.user_id)
    if account is None or account[0].disabled:
        return None
    user = account[0]
    return Principal(user.role, user.family_id, user.name, user.households, user.id, user.areas)


async def require_principal(request: Request, hub: Hub) -> Principal:
    principal = await find_principal(request, hub)
    if principal is None:
        raise HTTPException(
            status_code=401,
            detail="sign-in required: a session cookie or an Authorization: Bearer token",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return principal


Caller = Annotated[Principal, Depends(require_principal)]


def _not_theirs(caller: Principal, area: str | None, what: str) -> HTTPException:
    """404 for what does not exist, and (families, volunteers) for what is not theirs:
    a stranger cannot learn who is watched over; 403 for staff, who may know that
    someone is another area's (policy.Verdict)."""
    if area is not None and caller.sees_all_homes:
        return HTTPException(status_code=403, detail=f"this {what} is another area's")
    return HTTPException(status_code=404, detail=f"no such {what}")


def visible_person(person_id: str, hub: Hub, caller: Caller) -> PersonEntry:
    """The person, if the caller may see them (else ``_not_theirs``)."""
    if not can_see(hub.registry, caller, person_id):
        found = hub.registry.people.get(person_id)
        raise _not_theirs(caller, found.area if found else None, "person")
    return hub.registry.people[person_id]


Person = Annotated[PersonEntry, Depends(visible_person)]


def visible_household(household_id: str, hub: Hub, caller: Caller) -> HouseholdEntry:
    """The household, if the caller may see it (else ``_not_theirs``)."""
    if not can_see_household(hub.registry, caller, household_id):
        found = hub.registry.households.get(household_id)
        raise _not_theirs(caller, found.area if found else None, "household")
    return hub.registry.households[household_id]


Household = Annotated[HouseholdEntry, Depends(visible_household)]
