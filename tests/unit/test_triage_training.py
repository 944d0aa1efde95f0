"""How the triage model's emergency training data and threshold are put together."""

import random

import numpy as np

from triage.data import NO_EMERGENCY, Example
from triage.models import emergency_threshold, mixed_examples, routine_texts


def test_intent_examples_are_routine_unless_the_emergency_data_labels_them() -> None:
    intents = [
        Example("where is my order BS-100003?", "order_status"),
        Example("I need a tech, my washer is flooding the laundry room!!", "book_appointment"),
    ]
    emergencies = [Example("I need a tech, my WASHER is flooding the laundry room!!", "flood")]
    assert routine_texts(intents, emergencies) == {"where is my order BS-100003?"}


def test_mixed_examples_join_a_routine_message_and_keep_the_emergency_label() -> None:
    routine = ["where is my order BS-100003?", "please cancel my repair visit"]
    emergencies = [
        Example("the dryer is on fire", "fire"),
        Example("this fire sale is a killer deal", NO_EMERGENCY),
    ]
    mixed = mixed_examples(routine, emergencies, 10, random.Random(0))
    assert len(mixed) == 10
    assert [e.label for e in mixed] == ["fire", NO_EMERGENCY] * 5
    for example in mixed:
        source = "the dryer is on fire" if example.label == "fire" else "killer deal"
        assert source in example.text
        assert any(text in example.text for text in routine)


def test_mixed_examples_need_routine_dangers_and_harmless_ones() -> None:
    fire = Example("the dryer is on fire", "fire")
    assert mixed_examples([], [fire], 4, random.Random(0)) == []
    assert mixed_examples(["hi"], [fire], 4, random.Random(0)) == []


def test_the_emergency_threshold_keeps_false_alarms_within_the_budget() -> None:
    negatives = np.array([0.04] * 96 + [0.3, 0.42, 0.61, 0.9])
    assert emergency_threshold(negatives, 0.01) == 0.615  # flags 0.9 only
    assert emergency_threshold(negatives, 0.03) == 0.305  # flags 0.42, 0.61 and 0.9
    assert emergency_threshold(negatives, 0.04) == 0.045  # all but the 0.04s
    assert emergency_threshold(np.array([]), 0.02) == 0.5
