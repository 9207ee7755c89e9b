"""Run the configured check command on a commit before it lands.

The commit gets a scratch ref (``refs/agentdeck/check/<entry id>``) so that no
`git gc` prunes it mid-check, and a detached scratch worktree under the deck's
state directory, never under the user's worktree root. The command runs there
as an argument list without a shell, in its own process group, with its output
going straight to a log file under ``<git common dir>/agentdeck/logs/`` that
the queue screen reads while it grows. Both the ref and the worktree are
removed afterwards, and again on the next start if a crash left them behind.
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pygit2

log = logging.getLogger(__name__)

CHECK_REF_PREFIX = "refs/agentdeck/check/"


@dataclass(frozen=True)
class CheckSettings:
    """The check command and where its scratch worktrees and logs go."""

    command: tuple[str, ...]
    timeout: float | None
    """Seconds before the command is killed, or None for no limit."""
    state_dir: Path
    """The deck's state directory: ``<git common dir>/agentdeck``."""


@dataclass(frozen=True)
class CheckResult:
    """The outcome of one run of the check command."""

    passed: bool
    exit_status: int | None
    timed_out: bool
    log_path: Path
    seconds: float

    def describe(self) -> str:
        """Return a short phrase for messages, such as ``check passed in 3.1 s``."""
        if self.timed_out:
            return f"check timed out after {self.seconds:.0f} s"
        if self.passed:
            return f"check passed in {self.seconds:.1f} s"
        if self.exit_status is None:
            return "check could not start"
        return f"check failed with exit status {self.exit_status} after {self.seconds:.1f} s"


GUARD_SCRIPT = Path(__file__).with_name("check_guard.py")
"""Run as a script in isolated mode (-I), so neither the environment nor the
checked-out tree in its working folder can put other modules on its path."""


def check_log_path(state_dir: Path, entry_id: str) -> Path:
    """Return the log file of the check of queue entry *entry_id*."""
    return state_dir / "logs" / f"check-{entry_id}.log"


def scratch_worktree_path(state_dir: Path, entry_id: str) -> Path:
    """Return the folder of the scratch worktree that checks queue entry *entry_id*."""
    return state_dir / "checks" / entry_id


def run_check(repository_root: Path, settings: CheckSettings, entry_id: str, commit: str) -> CheckResult:
    """Check out *commit* in a scratch worktree, run the check command there and clean up.

    Every failure (git cannot add the worktree, the command is missing, it times
    out or exits non-zero) comes back as a result that did not pass, with the
    reason in the log file.
    """
    log_path = check_log_path(settings.state_dir, entry_id)
    log_path.parent.mkdir(parents=True, exist_ok=True)
    worktree = scratch_worktree_path(settings.state_dir, entry_id)
    refname = CHECK_REF_PREFIX + entry_id
    started = time.monotonic()

    with log_path.open("wb") as log_file:
        log_file.write(f"$ {' '.join(settings.command)}\n# commit {commit}\n".encode())
        log_file.flush()
        try:
            _prepare(repository_root, worktree, refname, commit, settings.state_dir)
        except (subprocess.CalledProcessError, pygit2.GitError, OSError) as error:
            detail = getattr(error, "stderr", "") or str(error)
            log_file.write(f"# cannot prepare the scratch worktree: {detail}\n".encode())
            log.error("entry %s: cannot prepare the check worktree %s: %s", entry_id, worktree, detail)
            remove_scratch(repository_root, settings.state_dir, entry_id)
            return CheckResult(False, None, False, log_path, time.monotonic() - started)

        try:
            exit_status, timed_out = _run(settings, worktree, log_file, entry_id)
        finally:
            remove_scratch(repository_root, settings.state_dir, entry_id)

        seconds = time.monotonic() - started
        result = CheckResult(exit_status == 0 and not timed_out, exit_status, timed_out, log_path, seconds)
        log_file.write(f"# {result.describe()}\n".encode())
    log.info("entry %s: %s", entry_id, result.describe())
    return result


def remove_scratch(repository_root: Path, state_dir: Path, entry_id: str) -> None:
    """Remove the scratch worktree and ref of *entry_id*, if any; safe to call twice."""
    worktree = scratch_worktree_path(state_dir, entry_id)
    if worktree.exists():
        _git(repository_root, "worktree", "remove", "--force", "--force", str(worktree), check=False)
    repo = pygit2.Repository(str(repository_root))
    _remove_worktree_entry(Path(repo.path), worktree)
    refname = CHECK_REF_PREFIX + entry_id
    if refname in repo.references:
        repo.references.delete(refname)


def leftover_check_ids(repository_root: Path) -> list[str]:
    """Return the entry ids of scratch check refs left behind, for example by a crash."""
    repo = pygit2.Repository(str(repository_root))
    return [name[len(CHECK_REF_PREFIX):] for name in repo.references if name.startswith(CHECK_REF_PREFIX)]


def _remove_worktree_entry(common_dir: Path, worktree: Path) -> None:
    # A scratch folder removed by a crash or by hand leaves its administrative entry.
    # Only that entry goes: `git worktree prune` would also drop the entries of the
    # user's own worktrees whose folders are only missing for now (an unmounted disk).
    if worktree.exists():
        return
    expected = str(worktree / ".git")
    for gitdir_file in (common_dir / "worktrees").glob("*/gitdir"):
        try:
            target = gitdir_file.read_text(encoding="utf-8").strip()
        except OSError:
            continue
        if target == expected or Path(target).resolve() == Path(expected).resolve():
            shutil.rmtree(gitdir_file.parent, ignore_errors=True)
            log.info("removed the administrative entry %s of scratch worktree %s", gitdir_file.parent, worktree)


def _prepare(repository_root: Path, worktree: Path, refname: str, commit: str, state_dir: Path) -> None:
    repo = pygit2.Repository(str(repository_root))
    repo.references.create(refname, pygit2.Oid(hex=commit), force=True)
    if worktree.exists():
        _git(repository_root, "worktree", "remove", "--force", "--force", str(worktree), check=False)
    worktree.parent.mkdir(parents=True, exist_ok=True)
    _git(repository_root, "worktree", "add", "--detach", "--quiet", str(worktree), commit)


def _run(settings: CheckSettings, worktree: Path, log_file, entry_id: str) -> tuple[int | None, bool]:
    environment = dict(os.environ)
    environment["AGENTDECK_CHECK_ENTRY"] = entry_id
    missing = _missing_program(settings.command[0], worktree, environment)
    if missing:
        log_file.write(f"# cannot start {settings.command[0]!r}: {missing}\n".encode())
        log.error("entry %s: cannot start the check %s: %s", entry_id, settings.command[0], missing)
        return None, False
    # The guard runs the command in a process group of its own and stops that
    # group when the pipe's write end, held only here, closes: when the check
    # is over, or when agentdeck dies, even by SIGKILL.
    read_end, write_end = os.pipe()
    try:
        process = subprocess.Popen(
            [sys.executable, "-I", str(GUARD_SCRIPT), str(read_end), "--", *settings.command],
            cwd=worktree,
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            env=environment,
            start_new_session=True,
            pass_fds=(read_end,),
        )
    except OSError as error:
        os.close(write_end)
        log_file.write(f"# cannot start the check guard: {error.strerror}\n".encode())
        log.error("entry %s: cannot start the check guard: %s", entry_id, error)
        return None, False
    finally:
        os.close(read_end)

    try:
        return process.wait(timeout=settings.timeout), False
    except subprocess.TimeoutExpired:
        log.warning("entry %s: check timed out after %s s; killing it", entry_id, settings.timeout)
        _kill_group(process)
        return process.returncode, True
    except BaseException:
        # The deck is going down: a check must not outlive it.
        _kill_group(process)
        raise
    finally:
        os.close(write_end)


def _missing_program(program: str, worktree: Path, environment: dict[str, str]) -> str | None:
    """Return why *program* cannot run, or None when it is an executable file."""
    if os.sep in program:
        path = Path(program) if os.path.isabs(program) else worktree / program
        if not path.is_file():
            return f"{path} not found"
        if not os.access(path, os.X_OK):
            return f"{path} is not executable"
        return None
    if shutil.which(program, path=environment.get("PATH", os.defpath)) is None:
        return "not found on PATH"
    return None


def _kill_group(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait()


def _git(cwd: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=check)
