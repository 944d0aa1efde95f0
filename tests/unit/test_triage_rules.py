import pytest

from graph.triage_rules import RuleTriage

triager = RuleTriage()


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("I smell gas near the stove", "gas"),
        ("my dryer caught fire!!", "fire"),
        ("there are sparks coming from the outlet behind the fridge", "fire"),
        ("I got an electric shock from the washer", "shock"),
        ("the washer is flooding the basement", "flood"),
        ("my toddler swallowed a button battery from the remote", "battery"),
        ("I want to kill myself", "self_harm"),
    ],
)
def test_emergencies_are_caught(text: str, kind: str) -> None:
    assert triager.triage(text)["emergency"] == kind


@pytest.mark.parametrize(
    "text",
    [
        "is the fire sale still on?",
        "this is a killer deal on dishwashers",
        "this price is criminal",
        "does the range have a smoke sensor?",
    ],
)
def test_idioms_are_not_emergencies(text: str) -> None:
    assert triager.triage(text)["emergency"] is None


def test_intent_sentiment_language() -> None:
    result = triager.triage("Where is my order BS-100003?")
    assert result["intent"] == "order_status" and result["language"] == "en"
    assert triager.triage("this is terrible and unacceptable")["sentiment"] < 0
    assert triager.triage("¿Dónde está mi pedido? Es el pedido de la semana")["language"] == "es"
    assert triager.triage("what's the weather on mars")["intent"] == "oos"
