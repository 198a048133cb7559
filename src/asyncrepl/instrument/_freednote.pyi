from collections.abc import Callable
from typing import Any

class FreedNote:
    batch: int
    def __init__(
        self,
        unseen: Any,
        clock: Callable[[], float],
        kept: frozenset[type],
        done: Any,
        nothing: tuple[float, int, float | None],
        slow: Callable[[Any], None],
        settle: Callable[[], None],
        batch: int,
    ) -> None: ...
    def __call__(self, task: Any, /) -> None: ...
