"""``%explain TOPIC``: every topic's example really runs, and names reach their topics."""

from __future__ import annotations

import pytest

from asyncrepl.explain import TOPICS, closest_topics, explain_topic, find_topic

REQUIRED = [
    "coroutine", "await", "task", "event loop", "future", "gather", "create_task vs await",
    "async generator", "async for", "async methods", "threads", "GIL", "cancellation",
    "timeouts", "TaskGroup", "Semaphore", "Queue", "Lock", "Event", "to_thread",
    "run_in_executor",
]  # fmt: skip


@pytest.mark.parametrize("topic", TOPICS, ids=lambda t: t.key)
def test_example_runs(topic: object, capsys: pytest.CaptureFixture[str]) -> None:
    example = getattr(topic, "example")  # noqa: B009  # ids needs the plain object
    assert example.rstrip().endswith("asyncio.run(main())") or "asyncio.run(coro)" in example
    exec(compile(example, f"<topic {getattr(topic, 'key')}>", "exec"), {"__name__": "__main__"})  # noqa: B009
    assert capsys.readouterr().out.strip(), "the example printed nothing"


@pytest.mark.parametrize("name", REQUIRED)
def test_required_concepts_are_topics(name: str) -> None:
    assert find_topic(name) is not None, name


def test_spelling_does_not_matter() -> None:
    assert find_topic("Event-Loop") is find_topic("event_loop") is find_topic("event loop")
    assert find_topic("tasks") is find_topic("task")
    assert find_topic("no such thing") is None


def test_closest_first_then_all() -> None:
    names = closest_topics("gatter")
    assert names[0] == "gather"
    assert sorted(names) == sorted(t.key for t in TOPICS)


def test_topic_explanation_carries_its_example() -> None:
    topic = find_topic("gather")
    assert topic is not None
    found = explain_topic(topic)
    assert found.key == "topic:gather" and found.code_is_example
    assert "return_exceptions" in found.what
