"""Debian's chromium, driven by Playwright: headless, offline-minded, a fresh profile per test.

Use from a conftest.py:
`from tests.support.browser import browser_context, page  # noqa: F401`,
and mark the tests `@pytest.mark.browser`. Chromium comes from `make browser` (apt); never
`playwright install`.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import BrowserContext, Page, Playwright, async_playwright
from starlette.types import ASGIApp

from tests.support.serving import serving

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = (
    "--no-sandbox",  # we run as root in a container
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
TIMEOUT_MS = 10_000


async def launch_chromium(
    playwright: Playwright, user_data_dir: Path, *, javascript: bool = True
) -> BrowserContext:
    """A headless chromium with its own profile in `user_data_dir` (see `fresh_profile`)."""
    context = await playwright.chromium.launch_persistent_context(
        str(user_data_dir),
        executable_path=str(CHROMIUM),
        headless=True,
        args=list(CHROMIUM_ARGS),
        locale="de-DE",
        java_script_enabled=javascript,
    )
    context.set_default_timeout(TIMEOUT_MS)
    return context


def fresh_profile(directory: Path) -> Path:
    """A fresh, empty user-data-dir; fails the test when Debian's chromium is not installed."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run 'make browser'")
    profile = directory / "chromium-profile"
    profile.mkdir()
    return profile


@pytest.fixture
async def browser_context(tmp_path: Path) -> AsyncIterator[BrowserContext]:
    """A headless chromium with a fresh profile, closed after the test."""
    async with async_playwright() as playwright:
        context = await launch_chromium(playwright, fresh_profile(tmp_path))
        try:
            yield context
        finally:
            await context.close()


@pytest.fixture
async def page(browser_context: BrowserContext) -> Page:
    return browser_context.pages[0] if browser_context.pages else await browser_context.new_page()


@contextlib.asynccontextmanager
async def serve_app(app: ASGIApp) -> AsyncIterator[str]:
    """Serve an ASGI app on a free loopback port in this event loop; yields its base URL."""
    async with serving(app) as port:
        yield f"http://127.0.0.1:{port}"
