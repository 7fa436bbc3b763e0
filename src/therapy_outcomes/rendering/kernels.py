"""Jupyter kernel managers that keep a kernel's sockets private to this user.

A kernel started the default way listens on TCP ports of localhost, unencrypted, which any
local user can reach (ipykernel warns about it). :func:`ipc_kernel_manager` gives a kernel
manager class whose kernel talks over Unix sockets in a folder of the caller's choosing
(create it with mode 0700, e.g. :func:`tempfile.mkdtemp`): reachable by this user only. Used by
:func:`therapy_outcomes.rendering.execute.render_notebook` (one kernel per call) and by the
batch's warm kernels (:mod:`therapy_outcomes.batch.engine`).

Examples
--------
>>> import tempfile
>>> folder = tempfile.mkdtemp()
>>> manager = ipc_kernel_manager(folder)()
>>> manager.transport, manager.ip == folder + "/kernel"
('ipc', True)
"""

from __future__ import annotations

import os
import subprocess
from typing import Any

__all__ = ["IPC_SUPPORTED", "ipc_kernel_manager"]

#: Unix sockets exist on this system (not on Windows): :func:`ipc_kernel_manager` works.
IPC_SUPPORTED = os.name == "posix"


def ipc_kernel_manager(folder: str | os.PathLike[str]) -> type:
    """A kernel manager class whose kernel talks over Unix sockets in ``folder``.

    Parameters
    ----------
    folder : path
        An existing folder only this user can enter; the sockets are ``folder/kernel-*``.
        It must outlive the kernel.

    Returns
    -------
    type
        A subclass of :class:`jupyter_client.manager.AsyncKernelManager` (pass it as
        ``kernel_manager_class`` to papermill or nbclient). Its kernel's own stdout and stderr
        are discarded: cell output and errors arrive through the messaging channel.
    """
    from jupyter_client.manager import AsyncKernelManager
    from traitlets import CaselessStrEnum, default

    where = os.fspath(folder)

    class IPCKernelManager(AsyncKernelManager):
        transport = CaselessStrEnum(["tcp", "ipc"], default_value="ipc", config=True)

        @default("ip")
        def _ip_default(self) -> str:
            return os.path.join(where, "kernel")

        async def _async_launch_kernel(self, kernel_cmd: list[str], **kw: Any) -> None:
            # The kernel's own log lines (such as the KeyboardInterrupt it reports when it is
            # interrupted before shutdown) would land on the user's terminal; cell errors
            # reach us through the messaging channel instead.
            kw.setdefault("stderr", subprocess.DEVNULL)
            kw.setdefault("stdout", subprocess.DEVNULL)
            await super()._async_launch_kernel(kernel_cmd, **kw)

    return IPCKernelManager
