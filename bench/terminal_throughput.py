"""Measure how fast the terminal parses a coloured log and reads a full screen.

Run by hand: python bench/terminal_throughput.py
"""

from __future__ import annotations

import random
import time

from agentdeck.terminal import Terminal

WORDS = "error warning info debug compile test passed failed module function value".split()
COLOURS = ["31", "32", "33", "34", "35", "36", "38;5;208", "38;2;100;200;50"]


def coloured_log(lines: int) -> bytes:
    generator = random.Random(1)
    parts = []
    for number in range(lines):
        colour = generator.choice(COLOURS)
        words = " ".join(generator.choice(WORDS) for _ in range(8))
        parts.append(
            f"\x1b[{colour}m{number:06d}\x1b[0m \x1b[1m{generator.choice(WORDS)}\x1b[22m {words} ünïcødé ✓\r\n"
        )
    return "".join(parts).encode()


def main() -> None:
    data = coloured_log(120_000)
    chunks = [data[index : index + 4096] for index in range(0, len(data), 4096)]
    terminal = Terminal(120, 40)
    start = time.perf_counter()
    for chunk in chunks:
        terminal.feed(chunk)
    elapsed = time.perf_counter() - start
    print(f"parse: {len(data) / 1e6:.1f} MB in {elapsed:.3f} s = {len(data) / 1e6 / elapsed:.0f} MB/s")

    reads = 50
    start = time.perf_counter()
    for _ in range(reads):
        terminal.feed(b"\x1b[H\x1b[2J" + data[-8000:])
        terminal.render()
    elapsed = (time.perf_counter() - start) / reads
    print(f"full-screen 120x40 redraw and read: {elapsed * 1000:.1f} ms")

    terminal.render()
    start = time.perf_counter()
    for number in range(reads):
        terminal.feed(b"\x1b[20;1H\x1b[2Kone line %d" % number)
        terminal.render()
    elapsed = (time.perf_counter() - start) / reads
    print(f"one-row update and read: {elapsed * 1000:.2f} ms")


if __name__ == "__main__":
    main()
