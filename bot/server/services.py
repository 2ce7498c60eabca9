"""What the running application is made of, built once from the settings and passed down."""

from __future__ import annotations

from dataclasses import dataclass

from bot.content.store import ContentStore
from bot.settings import Settings
from bot.storage.database import Database


@dataclass
class Services:
    settings: Settings
    database: Database
    content: ContentStore

    @classmethod
    def build(cls, settings: Settings) -> Services:
        return cls(
            settings=settings,
            database=Database(settings.database_url),
            content=ContentStore(settings.content_dir),
        )

    async def close(self) -> None:
        await self.database.dispose()
