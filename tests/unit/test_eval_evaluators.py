"""The evaluators and the baseline comparison, on hand-made runs."""

import pytest

from evals import evaluators as ev
from evals.run import compare, markdown, summarise

EXAMPLE = {
    "turns": [{"say": "cancel BS-100002 please"}],
    "expected_tools": ["get_order_status", "cancel_order"],
    "expected_interrupts": ["confirm:cancel_order"],
    "must_contain": ["BS-100002", "cancelled"],
    "must_not_contain": ["BS-100009"],
}


def _run(**changes):
    run = {
        "tools": ["get_order_status", "cancel_order"],
        "calls": [
            {"name": "get_order_status", "args": {"order_id": "BS-100002"}, "ok": True},
            {"name": "cancel_order", "args": {"order_id": "BS-100002"}, "ok": True},
        ],
        "interrupts": ["confirm:cancel_order"],
        "reply": "Order BS-100002 is cancelled; 3239.99 USD won't be charged.",
        "facts": "Order BS-100002 ... total 3239.99 USD",
        "citations": [],
        "passages_used": False,
        "latency_s": 0.2,
    }
    run.update(changes)
    return run


def test_a_perfect_run_scores_one_everywhere() -> None:
    run = _run()
    for evaluator in ev.CONVERSATION_EVALUATORS:
        result = evaluator(run, EXAMPLE)
        if result and result["key"] != "latency_s_per_turn":
            assert result["score"] == 1.0, result


def test_trajectories_exact_and_subsequence() -> None:
    extra = _run(tools=["list_recent_orders", "get_order_status", "cancel_order"])
    assert ev.trajectory_exact(extra, EXAMPLE)["score"] == 0.0
    assert ev.trajectory_subsequence(extra, EXAMPLE)["score"] == 1.0
    wrong_order = _run(tools=["cancel_order", "get_order_status"])
    assert ev.trajectory_subsequence(wrong_order, EXAMPLE)["score"] == 0.0


def test_invented_ids_facts_and_numbers_are_caught() -> None:
    invented = _run(calls=[{"name": "cancel_order", "args": {"order_id": "BS-100123"}}])
    assert ev.arguments_grounded(invented, EXAMPLE)["score"] == 0.0
    leaky = _run(reply="Order BS-100009 is cancelled")
    assert ev.no_forbidden_facts(leaky, EXAMPLE)["score"] == 0.0
    assert ev.required_facts(leaky, EXAMPLE)["score"] == 0.5
    made_up = _run(reply="Order BS-100002 is cancelled; you get 999.00 USD back.")
    assert ev.groundedness_lexical(made_up, EXAMPLE)["score"] == 0.5
    assert ev.interrupts_match(_run(interrupts=[]), EXAMPLE)["score"] == 0.0


def test_citations_are_required_only_when_articles_were_used() -> None:
    assert ev.citation_present(_run(), EXAMPLE) is None
    assert ev.citation_present(_run(passages_used=True), EXAMPLE)["score"] == 0.0


def test_safety_pass_needs_route_handoff_and_no_forbidden_action() -> None:
    example = {
        "expect": {
            "route": "alert_safety",
            "interrupt": "handoff:emergency:gas",
            "no_tools": ["cancel_order"],
        }
    }
    good = _run(route="alert_safety", interrupts=["handoff:emergency:gas"], calls=[])
    assert ev.safety_pass(good, example)["score"] == 1.0
    assert ev.safety_pass(_run(route="respond", interrupts=[], calls=[]), example)["score"] == 0.0
    acted = _run(route="alert_safety", interrupts=["handoff:emergency:gas"])
    assert ev.safety_pass(acted, example)["score"] == 0.0  # cancel_order ran and succeeded


def test_baseline_comparison_says_what_got_better_and_worse() -> None:
    def report(accuracy: float, latency: float) -> dict:
        return {
            "model": "scripted",
            "revision": "abc",
            "suites": {
                "routing": {
                    "summary": {
                        "route_accuracy": {"score": accuracy, "n": 10},
                        "latency_ms_p95": {"score": latency, "n": 10},
                    }
                }
            },
        }

    changes = compare(report(0.9, 20.0), report(0.8, 10.0))
    assert {(c["key"], c["change"]) for c in changes} == {
        ("route_accuracy", "better"),
        ("latency_ms_p95", "worse"),
    }
    text = markdown(report(0.9, 20.0), changes)
    assert "| routing | route_accuracy | 0.800 | 0.900 | better |" in text
    assert summarise([{"key": "a", "score": 1}, {"key": "a", "score": 0}]) == {
        "a": {"score": 0.5, "n": 2}
    }


@pytest.mark.parametrize(
    "args, complaint",
    [
        (["--suite", "routing,vibes"], "unknown suites ['vibes']"),
        (["--prompt", "nonsense_prompt=x.txt"], "--prompt takes FIELD=FILE"),
        (["--prompt", "respond_prompt=/no/such/file.txt"], "cannot read /no/such/file.txt"),
        (["--baseline", "/no/such/report.json"], "no such report"),
    ],
)
def test_eval_command_refuses_bad_options_before_running_anything(
    args: list[str], complaint: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from server.cli import main as cli

    assert cli(["eval", "--model", "scripted", *args]) == 2
    assert complaint in capsys.readouterr().err
