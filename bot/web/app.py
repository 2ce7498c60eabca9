"""The web application: the web chat (/), the staff console (/staff), health (/healthz)."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.responses import JSONResponse

from bot import __version__
from bot.channels.telegram import webhook_router
from bot.handoff.console import staff_router
from bot.server.services import Services
from bot.web.chat import mount_chat
from bot.web.guard import protect


def create_web_app(services: Services) -> FastAPI:
    app = FastAPI(title="Wegweiser", version=__version__, docs_url=None, redoc_url=None, openapi_url=None)
    app.state.services = services
    protect(app, services.settings)
    mount_chat(app, services.conversation, services.database, services.settings)  # the web chat at /
    app.include_router(staff_router(services))  # the staff console under /staff
    app.include_router(webhook_router(services.settings))  # Telegram updates, in webhook mode only

    @app.get("/healthz")
    async def health() -> JSONResponse:
        database_ok = True
        try:
            await services.database.check()
        except Exception:
            database_ok = False
        content = services.content.current
        body = {
            "status": "ok" if database_ok else "degraded",
            "version": __version__,
            "database": database_ok,
            "topics": len(content.topics),
            "content_problems": sum(p.severity == "error" for p in services.content.problems),
        }
        return JSONResponse(body, status_code=200 if database_ok else 503)

    return app
