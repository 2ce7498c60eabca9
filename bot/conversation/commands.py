"""`wegweiser ask` (the decision and reply for a question) and `wegweiser chat` (the bot in a terminal)."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import io
import json
import logging
import os
import sys
from typing import Any

from bot.content.loader import ContentError
from bot.content.store import ContentStore
from bot.conversation.ask import Asker, AskError
from bot.conversation.messages import Button, Incoming, Reply
from bot.conversation.outbox import mark_delivered
from bot.office_hours import parse_office_hours
from bot.settings import load_settings
from bot.storage.database import DatabaseUnavailable
from bot.understanding.understand import Understander


def register(subparsers: Any) -> None:
    ask = subparsers.add_parser(
        "ask",
        help="show what the bot decides and replies for a question (nothing is stored)",
        description="One question: `ask [--lang CODE] [--place REGION_ID] [--json] TEXT`. Many: `ask --jsonl` "
        'reads {"text", "lang"?, "place"?} per line on stdin and writes one JSON result per line.',
    )
    ask.add_argument("text", nargs="?", help="the question, as a user would write it")
    ask.add_argument("--lang", help="reply language (de en uk ru ar tr fa ku); default: detected")
    ask.add_argument("--place", help="the user's region id (content/regions.yaml); default: unknown")
    ask.add_argument("--json", action="store_true", help="print the result as JSON")
    ask.add_argument("--jsonl", action="store_true", help="read JSON lines on stdin, write JSON lines")
    ask.set_defaults(handler=_ask)

    chat = subparsers.add_parser(
        "chat", help="talk to the bot in this terminal (type a number to press a button)"
    )
    chat.add_argument("--user", default=None, help="who you are to the bot (default: your login name)")
    chat.set_defaults(handler=_chat)


def _fail(line: str) -> int:
    print(f"wegweiser: {line}", file=sys.stderr)
    return 2


def _ask(args: argparse.Namespace) -> int:
    if args.jsonl == (args.text is not None):
        return _fail("ask needs either a question or --jsonl (questions as JSON lines on stdin)")
    settings = load_settings()
    # stderr carries one note about degraded mode (from Asker), not the service's log lines
    logging.getLogger().setLevel(logging.ERROR)
    try:
        content = ContentStore(settings.content_dir).current
    except ContentError as error:
        return _fail(error.for_operators)
    asker = Asker(
        content,
        # One gathering of the training examples for the semantic net and the matcher, the matcher
        # built only if Rasa fails, and the embedding on every core: nothing else here waits for them.
        Understander.serving(
            content,
            rasa_url=str(settings.rasa_url),
            embedding_threads=os.cpu_count() or 1,
            matcher_when_needed=True,
        ),
        parse_office_hours(settings.staff_hours),
    )

    async def run() -> int:
        try:
            if args.jsonl:
                # bytes that are not UTF-8 spoil their own line (an error result), not the whole run
                if isinstance(sys.stdin, io.TextIOWrapper):
                    sys.stdin.reconfigure(errors="surrogateescape")
                bad = await asker.ask_lines(sys.stdin, sys.stdout)
                return 2 if bad else 0
            result = await asker.ask(args.text, lang=args.lang, place=args.place)
        except AskError as error:
            return _fail(f"ask: {error}")
        finally:
            await asker.understander.aclose()
        if args.json:
            print(json.dumps(result, ensure_ascii=False))
        else:
            topic = result["topic"] or "-"
            print(
                f"{result['action']} · topic {topic} · intent {result['intent']} · "
                f"confidence {result['confidence']:.2f} · {result['language']}\n"
            )
            print(result["text"])
        return 0

    return asyncio.run(run())


def _show(reply: Reply, numbered: list[Button]) -> None:
    print(reply.plain_text)
    labels = []
    for row in reply.buttons:
        for button in row:
            numbered.append(button)
            target = f" → {button.url}" if button.url else ""
            labels.append(f"[{len(numbered)}] {button.label}{target}")
    if labels:
        print("   " + "   ".join(labels))
    print()


def _chat(args: argparse.Namespace) -> int:
    from bot.server.services import Services

    user = args.user or getpass.getuser()
    try:
        user.encode("utf-8")
    except UnicodeEncodeError:
        return _fail("chat: --user is not UTF-8 text")
    settings = load_settings()
    try:
        services = Services.build(settings)
    except ContentError as error:
        return _fail(error.for_operators)
    # a typed byte that is not UTF-8 becomes U+FFFD, as in any other chat, instead of ending the chat
    if isinstance(sys.stdin, io.TextIOWrapper):
        sys.stdin.reconfigure(errors="replace")

    async def run() -> int:
        try:
            await services.database.check()
        except DatabaseUnavailable as error:
            await services.close()
            return _fail(str(error))
        print("Wegweiser in the terminal. Write a question, a /command, or a button's number; Ctrl-D ends.\n")
        buttons: list[Button] = []
        pending = "/start"
        try:
            while True:
                if pending.isdigit() and 1 <= int(pending) <= len(buttons):
                    pressed = buttons[int(pending) - 1]
                    incoming = Incoming("terminal", user, "button", pressed.action)
                else:
                    kind = "command" if pending.startswith("/") else "text"
                    incoming = Incoming("terminal", user, kind, pending)  # type: ignore[arg-type]
                buttons = []
                deliveries = await services.conversation.handle(incoming)
                for delivery in deliveries:
                    _show(delivery.reply, buttons)
                await mark_delivered(services.database, [d.id for d in deliveries])
                try:
                    pending = (await asyncio.to_thread(input, "> ")).strip()
                except EOFError:
                    print()
                    return 0
        finally:
            await services.close()

    try:
        return asyncio.run(run())
    except KeyboardInterrupt:
        return 0
