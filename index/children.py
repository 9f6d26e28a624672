"""Child processes that must not outlive their parent: a build's workers, a server's.

A parent killed with SIGKILL runs no clean-up of its own, so each child asks the kernel
to kill it when the parent dies (Linux's PR_SET_PDEATHSIG), and checks that the parent
has not died already, before the request took effect.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys

_PR_SET_PDEATHSIG = 1


def die_with_parent(parent: int) -> None:
    """Have this process killed when `parent` dies (Linux); exit now if it is gone already.

    Call it in the child, with the parent's pid as the parent knew it.
    """
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent:
        os._exit(1)
