from collections.abc import Callable
from typing import Any

class TaskNote:
    def __init__(
        self,
        log: Any,
        slow: Callable[[Any, object, Any, Any], None],
        count_own: Callable[[float, float], None],
        holding: Callable[[], float | None],
        clock: Callable[[], float],
        own: dict[float | None, tuple[float, int]],
        live: dict[int, Any],
        unseen: Any,
        created: dict[int, float],
        births: dict[int, Any],
        freed: Callable[[Any], None],
        next_id: Callable[[], int],
        kinds: dict[str, int],
        boundaries: set[int],
        last_site: list[Any],
    ) -> None: ...
    def __call__(self, task: Any, coro: object, parent: Any, caller: Any, /) -> None: ...
