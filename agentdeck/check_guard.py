"""Run a merge-queue check command and stop it when agentdeck goes away.

agentdeck runs this file as ``python -I check_guard.py FD -- COMMAND...`` in a
new process group. It imports only the standard library. It runs the command in that same group and watches
file descriptor FD, the read end of a pipe whose write end only agentdeck
holds. The write end closes when agentdeck exits for any reason, SIGKILL
included, and the guard then stops the whole group: the check command and
everything it started. A check left running would keep a scratch worktree busy
and compete with the next deck for the CPU.

The guard exits with the command's exit status, or kills itself with the
signal that ended the command, so its parent gets the same exit status.
"""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import time

GRACE_SECONDS = 2.0
"""How long the group gets to exit after SIGTERM before SIGKILL."""


def stop_group(grace: float = GRACE_SECONDS) -> None:
    """Send SIGTERM to the guard's process group, then SIGKILL after *grace* seconds."""
    group = os.getpgid(0)
    # The guard must outlive its own SIGTERM to send the SIGKILL.
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    try:
        os.killpg(group, signal.SIGTERM)
    except ProcessLookupError:
        return
    time.sleep(grace)
    os.killpg(group, signal.SIGKILL)


def exit_like(returncode: int) -> None:
    """Exit the way the command did: with its status, or by the signal that ended it."""
    if returncode < 0:
        sent = signal.Signals(-returncode)
        signal.signal(sent, signal.SIG_DFL)
        os.kill(os.getpid(), sent)
    sys.exit(returncode)


def main(argv: list[str]) -> None:
    if len(argv) < 3 or argv[1] != "--" or not argv[0].isdigit():
        sys.stderr.write("usage: check_guard.py FD -- COMMAND [ARGUMENT...]\n")
        sys.exit(2)
    watched = int(argv[0])
    try:
        process = subprocess.Popen(argv[2:])
    except OSError as error:
        sys.stderr.write(f"# cannot start {argv[2]!r}: {error.strerror}\n")
        sys.exit(127)
    # A pidfd becomes readable when the command exits, so the guard sleeps
    # until one of the two things happens. Without pidfds (macOS) it polls.
    exited = os.pidfd_open(process.pid) if hasattr(os, "pidfd_open") else None
    watched_set = [watched] if exited is None else [watched, exited]
    interval = None if exited is not None else 0.05
    while True:
        ready, _, _ = select.select(watched_set, [], [], interval)
        if watched in ready and not os.read(watched, 1):
            # End of file: agentdeck is gone.
            stop_group()
        returncode = process.poll()
        if returncode is not None:
            exit_like(returncode)

if __name__ == "__main__":
    main(sys.argv[1:])
