"""Sessions: real processes in real PTYs, their size, input, status and exit."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pytest

from agentdeck.errors import SessionError
from agentdeck.sessions import Session, agent_environment, bracketed
from agentdeck.tasks import SessionStatus

DEMO_AGENT = [sys.executable, "-m", "agentdeck.demo_agent"]


def wait_for(predicate, timeout: float = 15.0, interval: float = 0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s")


def screen(session: Session) -> str:
    with session.lock:
        return session.terminal.text()


def make_session(argv, cwd: Path, columns=80, rows=24, prompt=None, extra=None) -> Session:
    environment = agent_environment(os.environ, extra or {})
    root = str(Path(__file__).resolve().parent.parent)
    environment["PYTHONPATH"] = root
    return Session("t1", argv, cwd, environment, columns, rows, prompt)


@pytest.fixture
def sessions():
    started: list[Session] = []
    yield started
    for session in started:
        session.stop()


def test_spawned_at_given_size_and_follows_resize(tmp_path, sessions):
    session = make_session(["sh", "-c", "stty size; read x; stty size; sleep 5"], tmp_path, columns=133, rows=37)
    sessions.append(session)
    session.start()
    wait_for(lambda: "37 133" in screen(session))

    session.resize(101, 29)
    session.write(b"\r")

    wait_for(lambda: "29 101" in screen(session))
    assert "37 133" in screen(session)


def test_environment_drops_tmux_and_sets_terminal(tmp_path, sessions, monkeypatch):
    monkeypatch.setenv("TMUX", "/tmp/tmux-0/default,1,0")
    monkeypatch.setenv("TMUX_PANE", "%3")
    session = make_session(
        ["sh", "-c", 'echo "tmux=[${TMUX-unset}] pane=[${TMUX_PANE-unset}] $TERM $COLORTERM $AGENTDECK_TASK_ID"; sleep 5'],
        tmp_path,
        extra={"AGENTDECK_TASK_ID": "abc"},
    )
    sessions.append(session)
    session.start()
    wait_for(lambda: "tmux=[unset] pane=[unset] xterm-256color truecolor abc" in screen(session))


def test_exit_status_zero_is_exited(tmp_path):
    session = make_session(["sh", "-c", "echo bye"], tmp_path)
    session.start()
    assert session.wait(10)
    assert session.update_status() is SessionStatus.EXITED
    assert session.exit_status == 0
    assert "bye" in screen(session)


def test_nonzero_exit_is_failed(tmp_path):
    session = make_session(["sh", "-c", "exit 3"], tmp_path)
    session.start()
    assert session.wait(10)
    assert session.update_status() is SessionStatus.FAILED
    assert session.exit_status == 3


def test_killed_by_signal_is_failed(tmp_path):
    session = make_session(["sh", "-c", "kill -9 $$"], tmp_path)
    session.start()
    assert session.wait(10)
    assert session.status is SessionStatus.FAILED
    assert session.exit_signal == 9


def test_missing_program_is_a_session_error(tmp_path):
    session = make_session(["agentdeck-no-such-agent"], tmp_path)
    with pytest.raises(SessionError, match="agentdeck-no-such-agent.*install it"):
        session.start()


def test_missing_worktree_is_a_session_error(tmp_path):
    session = make_session(["true"], tmp_path / "gone")
    with pytest.raises(SessionError, match="worktree is missing"):
        session.start()


def test_stop_ends_the_whole_process_group(tmp_path):
    pid_file = tmp_path / "child.pid"
    session = make_session(["sh", "-c", f"sleep 300 & echo $! > {pid_file}; wait"], tmp_path)
    session.start()
    wait_for(pid_file.exists)
    child = int(wait_for(lambda: pid_file.read_text().strip()))

    session.stop()

    assert session.status is SessionStatus.STOPPED
    wait_for(lambda: not _alive(child), timeout=5)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie has exited; it only waits for its parent to reap it.
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().split(")")[-1].split()[0] == "Z")


def test_status_working_then_idle_then_waiting(tmp_path, sessions):
    session = make_session(["sh", "-c", "echo start; sleep 2.5; printf 'Continue? [y/n] '; read a; echo answered-$a; sleep 30"], tmp_path)
    sessions.append(session)
    session.start()
    wait_for(lambda: "start" in screen(session))
    assert session.update_status() is SessionStatus.WORKING
    assert session.update_status(time.monotonic() + 10) is SessionStatus.IDLE

    wait_for(lambda: session.update_status() is SessionStatus.WAITING)
    session.write(b"y\r")
    wait_for(lambda: "answered-y" in screen(session))
    assert session.update_status() is SessionStatus.WORKING


def test_prompt_through_terminal_arrives_byte_exact(tmp_path, sessions):
    prompt = "line one \"quoted\" 'single' $(whoami) `id` \\back\tTab\nzweite Zeile: ünïcødé 中文 🚀"
    out = tmp_path / "received.bin"
    # The program turns on bracketed paste, reads the paste raw, and saves exactly what it got.
    script = (
        "import sys, tty, termios, os\n"
        "sys.stdout.write('\\x1b[?2004hready> '); sys.stdout.flush()\n"
        "fd = sys.stdin.fileno(); tty.setraw(fd)\n"
        "data = b''\n"
        "while not data.endswith(b'\\r'):\n"
        "    data += os.read(fd, 4096)\n"
        f"open({str(out)!r}, 'wb').write(data)\n"
    )
    session = make_session([sys.executable, "-c", script], tmp_path, prompt=prompt)
    sessions.append(session)
    session.start()
    wait_for(out.exists, timeout=20)

    expected = b"\x1b[200~" + prompt.encode() + b"\x1b[201~\r"
    assert wait_for(lambda: out.read_bytes() == expected or None, timeout=5)


def test_bracketed_paste_strips_end_marker():
    assert bracketed("a\x1b[201~b", True) == b"\x1b[200~ab\x1b[201~"
    assert bracketed("a\x1b[201~b", False) == b"a\x1b[201~b"


def test_demo_agent_edits_after_yes(tmp_path, sessions):
    (tmp_path / "greet.py").write_text("print('hi')\n")
    session = make_session([*DEMO_AGENT, 'append "# added by the demo" to greet.py'], tmp_path)
    sessions.append(session)
    session.start()

    wait_for(lambda: "[y/n]" in screen(session))
    assert session.update_status() is SessionStatus.WAITING
    assert (tmp_path / "greet.py").read_text() == "print('hi')\n"

    session.write(b"y\r")
    wait_for(lambda: "Done." in screen(session))
    assert (tmp_path / "greet.py").read_text() == "print('hi')\n# added by the demo\n"
    assert session.is_alive


def test_unshown_session_queues_bell_and_notification(tmp_path, sessions):
    script = "printf 'hello\\a\\a\\033]777;notify;Build;passed\\033\\\\\\033]9;plain\\007done\\r\\n'; sleep 30"
    session = make_session(["sh", "-c", script], tmp_path)
    sessions.append(session)
    session.start()
    wait_for(lambda: "done" in screen(session))

    events = session.take_events()
    assert [(event.kind, event.title, event.body) for event in events] == [
        ("bell", "", ""),
        ("notification", "Build", "passed"),
        ("notification", "", "plain"),
    ]
    assert session.take_events() == []


def test_unshown_session_keeps_every_byte_and_answers_queries(tmp_path, sessions):
    # About 3 MB, far more than the PTY buffers, so the reader reads it paced; then a cursor position query.
    script = (
        "import os, sys, tty\n"
        "tty.setraw(0)\n"
        "for n in range(40000): sys.stdout.write('%070d\\r\\n' % n)\n"
        "sys.stdout.write('\\x1b[6n'); sys.stdout.flush()\n"
        "reply = b''\n"
        "while not reply.endswith(b'R'): reply += os.read(0, 1)\n"
        "sys.stdout.write('got ' + repr(reply)[2:-1].replace('\\\\x1b', 'ESC') + '\\r\\n'); sys.stdout.flush()\n"
        "os.read(0, 1)\n"
    )
    session = make_session([sys.executable, "-c", script], tmp_path, columns=80, rows=24)
    sessions.append(session)
    session.start()

    wait_for(lambda: "got ESC[" in screen(session), timeout=30)
    assert "got ESC[24;1R" in screen(session)
    assert session.bytes_read >= 40000 * 72
    with session.lock:
        history = session.terminal.history_text()
    assert "0039999" in history
    assert "0030000" in history
