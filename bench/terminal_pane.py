"""Benchmarks of live terminal panes: throughput against tmux, key latency, idle CPU, memory.

Run by hand, one measure at a time or all of them:

    python bench/terminal_pane.py throughput [--megabytes 50]
    python bench/terminal_pane.py latency [--keys 200]
    python bench/terminal_pane.py idle [--seconds 10]
    python bench/terminal_pane.py memory
    python bench/terminal_pane.py all

Panes run inside Textual's headless test driver (``App.run_test``), which
renders every frame through the compositor but writes it nowhere. Timings
count until the pane's ``render_line`` returns the expected text.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from textual import events
from textual.app import App, ComposeResult

from agentdeck.sessions import Session, agent_environment
from agentdeck.terminal import Terminal
from agentdeck.ui.widgets.terminal_pane import TerminalPane

END_MARKER = "END-OF-STREAM-7f3a"
COLUMNS, ROWS = 120, 40
WORDS = "compile link test passed failed warning error module crate package build cache hit miss".split()
COLOURS = ["31", "32", "33", "34", "35", "36", "1;31", "38;5;208", "38;2;120;200;80", "2"]


def build_log_lines(generator: random.Random, count: int) -> list[str]:
    lines = []
    for _ in range(count):
        colour = generator.choice(COLOURS)
        words = " ".join(generator.choice(WORDS) for _ in range(generator.randint(4, 14)))
        lines.append(f"\x1b[{colour}m{generator.choice(WORDS):>8}\x1b[0m {words} \x1b[2m(0.{generator.randint(0, 999):03d}s)\x1b[22m\r\n")
    return lines


def claude_style_frame(generator: random.Random, target_bytes: int = 95_000) -> str:
    """Build a full redraw in a synchronized update (clear, then a whole transcript), as Claude Code draws."""
    parts = ["\x1b[?2026h\x1b[H\x1b[2J\x1b[3J"]
    size = 0
    while size < target_bytes:
        words = " ".join(generator.choice(WORDS) for _ in range(generator.randint(6, 18)))
        line = f"\x1b[38;2;215;119;87m⏺\x1b[39m {words} \x1b[1m✓\x1b[22m \x1b[7m ok \x1b[27m\x1b[K\r\n"
        parts.append(line)
        size += len(line.encode())
    parts.append("\x1b[38;5;245m╭" + "─" * 100 + "╮\x1b[0m\r\n│ > \x1b[K\r\n\x1b[?2026l")
    return "".join(parts)


def recorded_stream(megabytes: int) -> bytes:
    """Build a deterministic stream: coloured build logs alternating with synchronized full-frame redraws."""
    generator = random.Random(7)
    target = megabytes * 1_000_000
    chunks: list[bytes] = []
    size = 0
    while size < target:
        log = "".join(build_log_lines(generator, 2000)).encode()
        frame = claude_style_frame(generator).encode()
        for chunk in (log, frame, frame):
            chunks.append(chunk)
            size += len(chunk)
    return b"".join(chunks)


# Throughput.


class SinglePaneApp(App[None]):
    def compose(self) -> ComposeResult:
        yield TerminalPane()


def pane_shows(pane: TerminalPane, text: str) -> bool:
    """Return whether the pane draws ``text``, checking the drawn strips only once the frame has it."""
    frame = pane._frame
    if frame is None or not any(text in "".join(span.text for span in row) for row in frame.rows):
        return False
    return any(text in pane.render_line(y).text for y in range(pane.size.height))


async def pane_throughput(stream_path: Path, environment: dict[str, str]) -> float:
    app = SinglePaneApp()
    async with app.run_test(size=(COLUMNS, ROWS)) as pilot:
        pane = app.query_one(TerminalPane)
        script = f"cat {stream_path}; printf '\\r\\n{END_MARKER}'; exec sleep 600"
        session = Session("bench", ["sh", "-c", script], stream_path.parent, environment, COLUMNS, ROWS)
        pane.attach(session)
        start = time.perf_counter()
        session.start()
        try:
            while not pane_shows(pane, END_MARKER):
                await asyncio.sleep(0.005)
            return time.perf_counter() - start
        finally:
            session.stop()


def tmux_throughput(stream_path: Path, environment: dict[str, str]) -> float:
    directory = Path(tempfile.mkdtemp(prefix="bench-tmux-"))
    socket = directory / "tmux.sock"
    config = directory / "tmux.conf"
    config.write_text("set -g status off\nset -g default-terminal xterm-256color\nset -g history-limit 10000\n")
    tmux = ["tmux", "-S", str(socket)]
    script = f"cat {stream_path}; printf '\\r\\n{END_MARKER}'; exec sleep 600"
    try:
        start = time.perf_counter()
        subprocess.run(
            [*tmux, "-f", str(config), "new-session", "-d", "-x", str(COLUMNS), "-y", str(ROWS), "sh", "-c", script],
            env=environment,
            check=True,
        )
        while True:
            screen = subprocess.run([*tmux, "capture-pane", "-p"], capture_output=True, text=True, env=environment).stdout
            if END_MARKER in screen:
                return time.perf_counter() - start
            time.sleep(0.002)
    finally:
        subprocess.run([*tmux, "kill-server"], capture_output=True, env=environment)
        shutil.rmtree(directory, ignore_errors=True)


def measure_throughput(megabytes: int, runs: int) -> None:
    directory = Path(tempfile.mkdtemp(prefix="bench-stream-"))
    stream_path = directory / "stream.bin"
    stream_path.write_bytes(recorded_stream(megabytes))
    size = stream_path.stat().st_size / 1e6
    environment = agent_environment({"PATH": os.environ["PATH"], "HOME": str(directory), "LANG": "C.UTF-8"}, {})
    print(f"stream: {size:.1f} MB (build logs and synchronized ~95 KB full-frame redraws), {COLUMNS}x{ROWS}")
    pane_times, tmux_times = [], []
    for _ in range(runs):
        pane_times.append(asyncio.run(pane_throughput(stream_path, environment)))
        tmux_times.append(tmux_throughput(stream_path, environment))
    pane_best, tmux_best = min(pane_times), min(tmux_times)
    print(f"pane: best {pane_best:.2f} s = {size / pane_best:.1f} MB/s  (runs: {', '.join(f'{t:.2f}' for t in pane_times)})")
    print(f"tmux: best {tmux_best:.2f} s = {size / tmux_best:.1f} MB/s  (runs: {', '.join(f'{t:.2f}' for t in tmux_times)})")
    print(f"pane throughput / tmux throughput: {tmux_best / pane_best:.2f}x best of each, "
          f"{statistics.median(tmux_times) / statistics.median(pane_times):.2f}x median of each")
    shutil.rmtree(directory, ignore_errors=True)


# Latency.

async def key_latency(
    keys: int, flooders: int, environment: dict[str, str], directory: Path
) -> tuple[list[float], int]:
    """Time key presses in the one pane the deck shows while background sessions flood output.

    The deck shows one terminal pane at a time, so the flooding sessions
    have no pane: their reader threads parse everything they print, within
    the read budget of sessions no pane shows.
    """
    flood_file = directory / "flood.log"
    flood_file.write_text("".join(build_log_lines(random.Random(5), 20_000)))
    app = SinglePaneApp()
    sessions: list[Session] = []
    async with app.run_test(size=(COLUMNS, ROWS)) as pilot:
        pane = app.query_one(TerminalPane)
        await pilot.pause()
        columns, rows = pane.terminal_size
        # cat in raw mode echoes each key once, so the key itself is the echo.
        target = Session("echo", ["sh", "-c", "stty raw -echo; exec cat"], directory, environment, columns, rows)
        sessions.append(target)
        for number in range(flooders):
            script = f"while :; do cat {flood_file}; done"
            sessions.append(Session(f"flood{number}", ["sh", "-c", script], directory, environment, 100, 30))
        try:
            for session in sessions:
                session.start()
            pane.attach(target)
            pane.focus()
            await pilot.pause(1.0)
            flood_start = sum(session.bytes_read for session in sessions[1:])
            started = time.perf_counter()
            samples = []
            alphabet = "abcdefghijklmnopqrstuvwxyz"
            for index in range(keys):
                character = alphabet[index % len(alphabet)]
                with target.lock:
                    expected_x, expected_y = target.terminal.cursor
                if expected_x >= columns - 2:
                    target.write(b"\r\n")
                    await pilot.pause(0.05)
                    continue
                start = time.perf_counter()
                # Pilot.press waits up to a second, twice, for the app to go
                # idle, which a flood prevents. A real terminal's key goes
                # through the driver's queue, as this one does.
                app._driver.send_message(events.Key(character, character))
                while not pane.render_line(expected_y).text[expected_x:].startswith(character):
                    if time.perf_counter() - start > KEY_TIMEOUT_SECONDS:
                        report_lost_key(target, pane, character, expected_x, expected_y)
                        break
                    await asyncio.sleep(0.0005)
                else:
                    samples.append(time.perf_counter() - start)
                await asyncio.sleep(0.01)
            flooded = sum(session.bytes_read for session in sessions[1:]) - flood_start
            return samples, int(flooded / (time.perf_counter() - started))
        finally:
            for session in sessions:
                session.stop()


KEY_TIMEOUT_SECONDS = 5.0


def report_lost_key(target: Session, pane: TerminalPane, character: str, x: int, y: int) -> None:
    """Print where a key whose echo never showed went: into the terminal, or nowhere."""
    with target.lock:
        row = target.terminal.row_text(y)
    drawn = pane.render_line(y).text.rstrip()
    print(
        f"key {character!r} not drawn at ({x}, {y}) after {KEY_TIMEOUT_SECONDS:.0f} s;"
        f" terminal row: {row!r}; drawn row: {drawn!r}; pane focused: {pane.has_focus};"
        f" redraw scheduled: {pane._flush_scheduled}"
    )


def measure_latency(keys: int, flooders: int) -> None:
    directory = Path(tempfile.mkdtemp(prefix="bench-latency-"))
    environment = agent_environment({"PATH": os.environ["PATH"], "HOME": str(directory), "LANG": "C.UTF-8"}, {})
    samples, flood_rate = asyncio.run(key_latency(keys, flooders, environment, directory))
    samples.sort()
    p50 = statistics.median(samples) * 1000
    p99 = samples[min(len(samples) - 1, int(len(samples) * 0.99))] * 1000
    print(
        f"key to echo on screen, {len(samples)} keys, {flooders} background sessions flooding"
        f" ({flood_rate / 1e6:.1f} MB/s parsed in total):"
    )
    print(f"p50 {p50:.1f} ms, p99 {p99:.1f} ms, max {samples[-1] * 1000:.1f} ms")
    shutil.rmtree(directory, ignore_errors=True)


# Idle CPU.


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def idle_cpu(seconds: float, environment: dict[str, str], directory: Path) -> tuple[float, float]:
    sessions = [Session(f"idle{n}", ["cat"], directory, environment, 100, 30) for n in range(16)]
    for session in sessions:
        session.start()
    try:
        time.sleep(1.0)
        before = cpu_seconds()
        time.sleep(seconds)
        sessions_only = (cpu_seconds() - before) / seconds

        app = SinglePaneApp()
        async with app.run_test(size=(COLUMNS, ROWS)) as pilot:
            app.query_one(TerminalPane).attach(sessions[0])
            await pilot.pause(1.0)
            before = cpu_seconds()
            await asyncio.sleep(seconds)
            with_app = (cpu_seconds() - before) / seconds
        return sessions_only, with_app
    finally:
        for session in sessions:
            session.stop()


def measure_idle(seconds: float) -> None:
    directory = Path(tempfile.mkdtemp(prefix="bench-idle-"))
    environment = agent_environment({"PATH": os.environ["PATH"], "HOME": str(directory), "LANG": "C.UTF-8"}, {})
    sessions_only, with_app = asyncio.run(idle_cpu(seconds, environment, directory))
    print(f"16 idle sessions (cat), reader threads only: {sessions_only * 100:.2f} % of one core")
    print(f"same, plus the headless app showing one of them: {with_app * 100:.2f} % of one core")
    shutil.rmtree(directory, ignore_errors=True)


# Memory.


def rss_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def measure_memory(terminals: int = 5) -> None:
    generator = random.Random(3)
    line_text = "".join(generator.choice("abcdefghijklmnopqrstuvwxyz0123456789 ") for _ in range(190))
    data = b"".join(f"\x1b[3{n % 7 + 1}m{n:08d}\x1b[0m {line_text[:191]}\r\n".encode() for n in range(16_000))
    gc.collect()
    before = rss_bytes()
    kept = []
    for _ in range(terminals):
        terminal = Terminal(200, 50)
        for index in range(0, len(data), 65536):
            terminal.feed(data[index : index + 65536])
        terminal.render()
        kept.append(terminal)
    gc.collect()
    per_terminal = (rss_bytes() - before) / terminals
    print(f"scrollback rows kept: {kept[0].scrollback_rows} of 200 columns")
    print(f"memory per session with a full scrollback: {per_terminal / 1e6:.1f} MB (RSS growth over {terminals} terminals)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("measure", choices=["throughput", "latency", "idle", "memory", "all"])
    parser.add_argument("--megabytes", type=int, default=50, help="size of the recorded stream in MB")
    parser.add_argument("--runs", type=int, default=5, help="throughput runs of each side, alternated")
    parser.add_argument("--keys", type=int, default=300, help="key presses timed for latency")
    parser.add_argument("--flooders", type=int, default=8, help="background sessions flooding output during the latency test")
    parser.add_argument("--seconds", type=float, default=10.0, help="idle CPU measuring window in seconds")
    arguments = parser.parse_args()

    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    print(
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {os.cpu_count()} CPUs,"
        f" Python {sys.version.split()[0]}, load average {load}"
    )
    if arguments.measure in ("throughput", "all"):
        measure_throughput(arguments.megabytes, arguments.runs)
    if arguments.measure in ("latency", "all"):
        measure_latency(arguments.keys, arguments.flooders)
    if arguments.measure in ("idle", "all"):
        measure_idle(arguments.seconds)
    if arguments.measure in ("memory", "all"):
        measure_memory()


if __name__ == "__main__":
    main()
