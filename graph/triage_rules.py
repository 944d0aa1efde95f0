"""A first, rule-based triager; the trained classifier replaces it behind ``Triager``.

It is deliberately small: patterns for intents and emergencies, a tiny
sentiment lexicon and stop-word language guessing. Emergency patterns are
written to avoid idioms such as "fire sale" or "killer deal".
"""

from __future__ import annotations

import re
from typing import Protocol

from graph.state import Triage


class Triager(Protocol):
    """Anything that triages one customer message."""

    def triage(self, text: str) -> Triage:
        """Return intent, confidence, emergency, sentiment and language for ``text``."""
        ...


_EMERGENCY: list[tuple[str, str]] = [
    ("gas", r"\b(smell(s|ing)? (of )?gas|gas (leak|smell)|leaking gas|smells like gas)\b"),
    (
        "fire",
        r"\b(on fire|caught fire|catching fire|flames?|(is|it's|was|started) smoking|"
        r"smoke (is )?(coming|pouring)|sparks?|sparking|burning smell|smells? (of )?burning)\b",
    ),
    ("shock", r"\b(electric(al)? shock|got shocked|shocked me|electrocut\w*)\b"),
    ("flood", r"\b(flood\w*|water (is )?(everywhere|pouring|gushing)|leaking everywhere)\b"),
    ("battery", r"\b(swallow\w* (a |the )?(button |coin )?batter\w*|batter\w* swallow\w*)\b"),
    ("injury", r"\b(bleeding|injur\w*|(is|got|was) (badly )?(hurt|burned|burnt)|unconscious)\b"),
    ("self_harm", r"\b(kill (myself|me)|suicid\w*|end my life|hurt myself|self[- ]harm)\b"),
    ("threat", r"\b(going to kill (you|him|her|them)|bomb|i have a (gun|weapon))\b"),
]

_INTENTS: list[tuple[str, str]] = [
    ("talk_to_human", r"\b(human|real person|agent|representative|someone real|operator)\b"),
    ("cancel_appointment", r"\bcancel\b.*\b(appointment|visit|booking|technician)\b"),
    ("reschedule_appointment", r"\b(reschedul\w*|move|change)\b.*\b(appointment|visit)\b"),
    (
        "book_appointment",
        r"\b(book|schedule|appointment|technician|install(ation)?|repair visit|come and fix)\b",
    ),
    ("cancel_order", r"\bcancel\b.*\border\b|\bcancel (it|my purchase)\b"),
    ("return_refund", r"\b(return|refund|money back|send (it )?back|exchange)\b"),
    (
        "order_status",
        r"\b(where('s| is) my|order status|track(ing)?|my order|hasn't arrived|not arrived|"
        r"bs-\d{6})\b",
    ),
    ("ticket_status", r"\b(ticket|case number|my complaint status)\b"),
    ("account_details", r"\b(my (account|profile|email|phone|address)|contact preferences?)\b"),
    (
        "recommendation",
        r"\b(recommend\w*|suggest\w*|which .* (should|to) (i )?buy|looking for a|best \w+ for)\b",
    ),
    (
        "shipping_delivery",
        r"\b(shipping|delivery|deliver|express|how long .* take)\b",
    ),
    ("payment_billing", r"\b(pay(ment)?|charged|invoice|billing|financing|gift card|card)\b"),
    ("policy_question", r"\b(warranty|policy|guarantee|how (do|can|to) i|clean|descal\w*)\b"),
    ("complaint", r"\b(complain\w*|terrible|awful|unacceptable|worst|ridiculous)\b"),
    ("greeting", r"^\W*(hi|hello|hey|good (morning|afternoon|evening)|hola|bonjour|hallo)\b"),
    ("thanks", r"\b(thanks|thank you|cheers|appreciate it)\b"),
    ("goodbye", r"\b(bye|goodbye|see you|that's all)\b"),
]

_POSITIVE = {"thanks", "thank", "great", "good", "love", "perfect", "awesome", "happy", "helpful"}
_NEGATIVE = {
    "terrible",
    "awful",
    "angry",
    "furious",
    "worst",
    "useless",
    "ridiculous",
    "unacceptable",
    "hate",
    "disappointed",
    "broken",
    "scam",
}
_STOPWORDS = {
    "en": {"the", "is", "my", "and", "to", "a", "i", "you", "it", "where", "what", "how"},
    "es": {"el", "la", "mi", "es", "y", "de", "que", "dónde", "donde", "pedido", "hola"},
    "fr": {"le", "la", "mon", "est", "et", "de", "que", "où", "commande", "bonjour", "je"},
    "de": {"der", "die", "das", "mein", "ist", "und", "wo", "ich", "bestellung", "hallo"},
}


class RuleTriage:
    """Pattern-based triage; fast, transparent, and the baseline to beat."""

    def triage(self, text: str) -> Triage:
        """Triage one message."""
        lowered = text.lower()
        emergency = next(
            (kind for kind, pattern in _EMERGENCY if re.search(pattern, lowered)), None
        )
        intent, confidence = "oos", 0.3
        for name, pattern in _INTENTS:
            if re.search(pattern, lowered):
                intent, confidence = name, 0.8
                break
        return Triage(
            intent=intent,
            confidence=confidence,
            emergency=emergency,
            sentiment=_sentiment(lowered),
            language=_language(lowered),
        )


def _sentiment(lowered: str) -> float:
    words = re.findall(r"[a-z']+", lowered)
    pos = sum(w in _POSITIVE for w in words)
    neg = sum(w in _NEGATIVE for w in words)
    if pos == neg == 0:
        return 0.0
    return round((pos - neg) / (pos + neg), 3)


def _language(lowered: str) -> str:
    words = set(re.findall(r"[\wáéíóúàèùçäöüßñ']+", lowered))
    scores = {lang: len(words & stop) for lang, stop in _STOPWORDS.items()}
    best = max(scores, key=lambda lang: scores[lang])
    return best if scores[best] > scores["en"] else "en"
