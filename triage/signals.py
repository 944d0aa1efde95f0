"""Sentiment (VADER) and language (lingua) of a message."""

from __future__ import annotations

from typing import Any

STRONGLY_NEGATIVE = -0.5
"""A compound sentiment at or under this counts as strongly negative."""

SUPPORTED_LANGUAGES = ("en", "es", "fr", "de", "it", "pt", "nl")


class Sentiment:
    """VADER compound sentiment, from -1 to 1."""

    def __init__(self) -> None:
        from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

        self._analyzer = SentimentIntensityAnalyzer()

    def score(self, text: str) -> float:
        """The compound score of ``text``."""
        return round(float(self._analyzer.polarity_scores(text)["compound"]), 3)


class LanguageGuesser:
    """Language of short chat messages; unsure guesses fall back to a default."""

    def __init__(self, min_confidence: float = 0.45, min_confidence_one_word: float = 0.65) -> None:
        from lingua import IsoCode639_1, LanguageDetectorBuilder

        codes = [getattr(IsoCode639_1, code.upper()) for code in SUPPORTED_LANGUAGES]
        self._detector: Any = (
            LanguageDetectorBuilder.from_iso_codes_639_1(*codes)
            .with_preloaded_language_models()
            .build()
        )
        self.min_confidence = min_confidence
        self.min_confidence_one_word = min_confidence_one_word

    def guess(self, text: str, default: str = "en") -> str:
        """The ISO 639-1 code of ``text``, or ``default`` when the detector is unsure."""
        values = self._detector.compute_language_confidence_values(text)
        one_word = len(text.split()) < 2  # "ok" reads as Dutch at 0.51; "gracias" is 0.70
        needed = self.min_confidence_one_word if one_word else self.min_confidence
        if not values or values[0].value < needed:
            return default
        return str(values[0].language.iso_code_639_1.name.lower())
