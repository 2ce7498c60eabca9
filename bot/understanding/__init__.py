"""Understanding what a newcomer asks: Rasa NLU as a service, a degraded-mode matcher, language
detection, an urgent-keyword safety net and the decision policy.

The conversation core calls `Understander.understand()` and `policy.decide()`; nothing here knows
about Telegram or the database.
"""
