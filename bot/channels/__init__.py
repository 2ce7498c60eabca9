"""Channels translate between a messenger and the conversation core (bot.conversation)."""
