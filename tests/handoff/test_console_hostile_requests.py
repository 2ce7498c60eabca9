"""Requests a browser never sends get a clear 4xx from the console, never a 500."""

from __future__ import annotations

import httpx
import pytest

from bot.storage.database import Database
from tests.handoff.conftest import add_case, add_staff, log_in, logged_in


@pytest.mark.parametrize("case_id", [2**31, 2**63, 2**64, 10**30])
async def test_a_case_id_beyond_any_stored_one_is_not_found(
    client: httpx.AsyncClient, database: Database, case_id: int
) -> None:
    await add_staff(database)
    csrf = await logged_in(client)
    for path in (f"/staff/cases/{case_id}", f"/staff/cases/{case_id}/live", f"/staff/cases/{case_id}/canned"):
        response = await client.get(path, params={"topic": "registration"})
        assert response.status_code == 404, (path, response.status_code)
    claim = await client.post(f"/staff/cases/{case_id}/claim", data={"csrf": csrf})
    assert claim.status_code == 404


async def test_a_huge_form_is_refused_before_it_is_read(
    client: httpx.AsyncClient, database: Database
) -> None:
    await add_staff(database)
    csrf = await logged_in(client)
    huge = {"csrf": csrf, "text": "x" * (2 * 2**20)}
    assert (await client.post("/staff/cases/1/note", data=huge)).status_code == 413
    assert (await client.post("/staff/login", data={"username": "x" * (2 * 2**20)})).status_code == 413


async def test_every_console_response_forbids_framing(client: httpx.AsyncClient) -> None:
    for path in (
        "/staff/login",
        "/staff/static/console.css",
        "/staff",
        "/staff/cases/1/live",
        "/staff/nowhere",
    ):
        response = await client.get(path)
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"], path
        assert response.headers["X-Content-Type-Options"] == "nosniff", path


async def test_a_nul_character_in_a_console_form_is_dropped_not_a_500(
    client: httpx.AsyncClient, database: Database
) -> None:
    # PostgreSQL refuses a NUL in text: a login name or a staff reply with one used to give a 500.
    refused = await log_in(client, username="an\x00na", password="wrong")
    assert refused.status_code < 500
    await add_staff(database)
    case = await add_case(database)
    csrf = await logged_in(client)
    claim = await client.post(f"/staff/cases/{case.id}/claim", data={"csrf": csrf})
    assert claim.status_code < 400
    for action in ("note", "reply"):
        response = await client.post(
            f"/staff/cases/{case.id}/{action}",
            data={"csrf": csrf, "text": f"Termin am\x00 Montag ({action})"},
        )
        assert response.status_code < 400, (action, response.status_code)
    page = await client.get(f"/staff/cases/{case.id}")
    assert "Termin am Montag (note)" in page.text and "Termin am Montag (reply)" in page.text
