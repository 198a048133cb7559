"""Driving a real ipykernel through jupyter_client, as a notebook frontend does: start one,
run a cell and collect what it showed, read what the kernel sends while no cell runs."""

from __future__ import annotations

import json
import os
import queue
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["Cell", "execute", "running_kernel", "wait_for_output"]


@dataclass
class Cell:
    """What one executed cell sent: its reply and its outputs, in order.

    :param reply: the execute reply's content (``status``, ``execution_count``...).
    :param msg_id: the request's id, the parent of every output of the cell.
    :param outputs: ``(msg_type, content)`` of each output message.
    """

    reply: dict[str, Any]
    msg_id: str
    outputs: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    @property
    def status(self) -> str:
        return str(self.reply["status"])

    @property
    def count(self) -> int:
        return int(self.reply["execution_count"])

    @property
    def text(self) -> str:
        """Everything the cell showed, as text (``text/plain`` of rich outputs)."""
        parts: list[str] = []
        for kind, content in self.outputs:
            if kind == "stream":
                parts.append(content["text"])
            elif kind in ("execute_result", "display_data"):
                parts.append(content["data"].get("text/plain", ""))
            elif kind == "error":
                parts.append("\n".join(content["traceback"]))
        return "".join(parts)


@contextmanager
def running_kernel(kernel: str = "python3") -> Iterator[Any]:
    """A fresh kernel; yields its client.

    :param kernel: ``"python3"`` (ipykernel as installed), or ``"tasks"``: ipykernel running
        every cell as a task of its own (:mod:`tests.ipython.task_kernel`).
    """
    from jupyter_client.manager import start_new_kernel

    if kernel == "tasks":
        _declare_task_kernel()
    manager, client = start_new_kernel(kernel_name=kernel, startup_timeout=60)
    client.manager = manager  # for interrupt_kernel
    try:
        yield client
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


def _declare_task_kernel() -> None:
    """A kernel spec for :mod:`tests.ipython.task_kernel`, in a folder of ``JUPYTER_PATH``.
    The kernel's module is copied into a ``site-packages`` folder, as an installed kernel
    would be: its own code is then not the user's."""
    folder = Path(tempfile.gettempdir()) / f"asyncrepl-kernels-{os.getpid()}"
    packages = folder / "site-packages"
    packages.mkdir(parents=True, exist_ok=True)
    module = Path(__file__).with_name("task_kernel.py")
    (packages / "asyncrepl_task_kernel.py").write_text(module.read_text())
    spec = folder / "kernels" / "tasks"
    spec.mkdir(parents=True, exist_ok=True)
    argv = [sys.executable, "-m", "asyncrepl_task_kernel", "-f", "{connection_file}"]
    declared = {"argv": argv, "display_name": "tasks", "language": "python"}
    declared["env"] = {"PYTHONPATH": str(packages)}
    (spec / "kernel.json").write_text(json.dumps(declared))
    paths = os.environ.get("JUPYTER_PATH", "")
    if str(folder) not in paths.split(os.pathsep):
        os.environ["JUPYTER_PATH"] = os.pathsep.join(p for p in (str(folder), paths) if p)


def execute(client: Any, code: str, timeout: float = 20) -> Cell:
    """Run a cell and wait for its reply; keep every output sent for it."""
    cell = Cell(reply={}, msg_id="")

    def collect(msg: dict[str, Any]) -> None:
        if msg["msg_type"] in ("stream", "execute_result", "display_data", "error"):
            cell.outputs.append((msg["msg_type"], msg["content"]))

    reply = client.execute_interactive(code, timeout=timeout, output_hook=collect)
    cell.reply, cell.msg_id = reply["content"], reply["parent_header"]["msg_id"]
    return cell


def wait_for_output(client: Any, text: str, timeout: float = 10) -> list[dict[str, Any]]:
    """Read iopub while no cell runs, until ``text`` is printed; the stream messages read."""
    deadline = time.monotonic() + timeout
    seen: list[dict[str, Any]] = []
    while time.monotonic() < deadline:
        try:
            msg = client.get_iopub_msg(timeout=0.2)
        except queue.Empty:
            continue
        if msg["msg_type"] == "stream":
            seen.append(msg)
            if text in "".join(m["content"]["text"] for m in seen):
                return seen
    printed = "".join(m["content"]["text"] for m in seen)
    raise AssertionError(f"{text!r} was not printed while the kernel was idle; got {printed!r}")
