"""The task list's columns at narrow and wide terminal sizes."""

from __future__ import annotations

from textual.app import App, ComposeResult

from agentdeck.tasks import Task
from agentdeck.ui.widgets.task_list import TaskList, cut_left


def make_task(title: str, slug: str) -> Task:
    return Task(
        title=title, prompt="p", agent="claude", base_branch="main", slug=slug,
        branch=f"agentdeck/{slug}", worktree=f"/tmp/{slug}",
    )


class ListApp(App):
    def __init__(self, tasks: list[Task]) -> None:
        super().__init__()
        self.tasks = tasks

    def compose(self) -> ComposeResult:
        yield TaskList()

    def on_mount(self) -> None:
        self.query_one(TaskList).sync(self.tasks, now=self.tasks[0].created_at + 5)


def row_text(app: App, row: int) -> str:
    table = app.query_one(TaskList)
    return "".join(segment.text for segment in table.render_line(row + 1))


async def test_narrow_list_cuts_branch_before_title() -> None:
    tasks = [
        make_task("Add a --json flag", "add-a-json-flag-to-status"),
        make_task("Fix the resize bug", "fix-the-resize-bug"),
    ]
    app = ListApp(tasks)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        first = row_text(app, 0)
        second = row_text(app, 1)
        assert "Add a --json flag" in first
        assert "Fix the resize bug" in second
        # The branches differ at their ends, so that is the part kept.
        assert "…" in first
        assert "status" in first.split("Add a --json flag")[1]
        assert len(first.rstrip()) <= 80


async def test_wide_list_shows_whole_branch() -> None:
    app = ListApp([make_task("Add a --json flag to status", "add-a-json-flag-to-status")])
    async with app.run_test(size=(160, 24)) as pilot:
        await pilot.pause()
        assert "agentdeck/add-a-json-flag-to-status" in row_text(app, 0)


def test_cut_left_keeps_the_end() -> None:
    assert cut_left("agentdeck/fix-bug", 8) == "…fix-bug"
    assert cut_left("short", 8) == "short"
    assert cut_left("agentdeck/修复", 6) == "…/修复"


async def test_big_line_counts_shown_whole() -> None:
    big = make_task("Rewrite everything", "rewrite-everything")
    big.added, big.removed = 25000, 125000
    app = ListApp([big, make_task("Small", "small")])
    async with app.run_test(size=(120, 24)) as pilot:
        await pilot.pause()
        first = row_text(app, 0)
        second = row_text(app, 1)

    assert "+25000 -125000" in first
    assert "+0 -0" in second
    assert len(first.rstrip()) <= 120
