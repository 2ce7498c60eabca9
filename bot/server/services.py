"""What the running application is made of, built once from the settings and passed down."""

from __future__ import annotations

from dataclasses import dataclass

from bot.content.store import ContentStore
from bot.conversation.core import Conversation
from bot.office_hours import parse_office_hours
from bot.settings import Settings
from bot.storage.database import Database
from bot.translation.client import Translator
from bot.understanding.understand import Understander


@dataclass
class Services:
    settings: Settings
    database: Database
    content: ContentStore
    understander: Understander
    conversation: Conversation
    translator: Translator | None = None  # None: TRANSLATE_URL unset, nothing is translated

    @classmethod
    def build(cls, settings: Settings, *, rasa_url: str | None = None, use_rasa: bool = True) -> Services:
        """`use_rasa` False: understanding from the in-process matcher only (e.g. `--no-nlu`)."""
        database = Database(settings.database_url)
        content = ContentStore(settings.content_dir)
        understander = Understander.serving(
            content.current, rasa_url=(rasa_url or str(settings.rasa_url)) if use_rasa else None
        )
        conversation = Conversation(
            database=database,
            content=content,
            understander=understander,
            retention_days=settings.retention_days,
            staff_hours=parse_office_hours(settings.staff_hours),
            messages_per_day=settings.user_messages_per_day,
        )
        # Load the language models and the embedding model now, not during the first user's wait.
        conversation.prepare()
        if understander.crisis is not None:
            understander.crisis.read("Wo ist das Bürgeramt?")
        return cls(
            settings, database, content, understander, conversation, Translator.from_settings(settings)
        )

    async def close(self) -> None:
        await self.understander.aclose()
        if self.translator is not None:
            await self.translator.aclose()
        await self.database.dispose()
