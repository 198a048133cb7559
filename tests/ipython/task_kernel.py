"""A kernel that runs every request, and so every cell, sync or async, as a task of its own
(as some kernels do), to check that asyncrepl shows none of its tasks. Started by
:func:`tests.ipython.kernels.running_kernel` with ``kernel="tasks"``, from a copy in a
``site-packages`` folder, as an installed kernel runs."""

from __future__ import annotations

import asyncio
from typing import Any

from ipykernel.ipkernel import IPythonKernel


class TaskKernel(IPythonKernel):  # type: ignore[misc]  # ipykernel is untyped
    """IPython's kernel, with each execute request wrapped in a task."""

    async def do_execute(self, *args: Any, **kwargs: Any) -> Any:
        return await asyncio.ensure_future(super().do_execute(*args, **kwargs))


if __name__ == "__main__":
    from ipykernel.kernelapp import IPKernelApp

    IPKernelApp.launch_instance(kernel_class=TaskKernel)
