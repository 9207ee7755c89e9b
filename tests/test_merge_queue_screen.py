"""The merge queue screen, driven through Pilot over a real temporary repository."""

from __future__ import annotations

import subprocess
import threading
from pathlib import Path

import pygit2
import pytest
from pygit2.enums import FileMode
from textual.app import App
from textual.widgets import DataTable, Static

from agentdeck.errors import StateError
from agentdeck.checks import check_log_path
from agentdeck.errors import TaskError
from agentdeck.merge_queue import LandOutcome, LandRequest, QueueRow, conflict_prompt, land_queue
from agentdeck.tasks import EntryState, QueueEntry
from agentdeck.ui.screens.merge_queue import EMPTY_QUEUE_TEXT, MergeQueueScreen

SIGNATURE = pygit2.Signature("Test", "test@example.com")
SIZES = [pytest.param((120, 40), id="120x40"), pytest.param((80, 24), id="80x24")]


class RepositoryQueue:
    """A small QueueSource over a real repository: entries in memory, landing through the domain code."""

    def __init__(self, root: Path, tasks: list[tuple[str, str]]) -> None:
        self.root = root
        self.entries = [QueueEntry(task_id=branch, base_branch="main") for branch, _title in tasks]
        self.titles = dict(tasks)
        self.removed: list[str] = []
        self.release: threading.Event | None = None

        self.sent: list[str] = []

    def queue_rows(self) -> list[QueueRow]:
        return [
            QueueRow(
                entry.id, self.titles[entry.task_id], entry.task_id, entry.base_branch, entry.state, self.detail(entry),
                entry.strategy, entry.check_log,
            )
            for entry in self.entries
        ]

    def entry(self, entry_id: str) -> QueueEntry:
        return next(entry for entry in self.entries if entry.id == entry_id)

    def move_entry(self, entry_id: str, offset: int) -> None:
        entry = self.entry(entry_id)
        index = self.entries.index(entry)
        self.entries.remove(entry)
        self.entries.insert(max(0, min(len(self.entries), index + offset)), entry)

    def requeue_entry(self, entry_id: str) -> None:
        entry = self.entry(entry_id)
        if entry.state not in (EntryState.CONFLICT, EntryState.FAILED):
            raise TaskError(f"queue entry {entry_id!r} is {entry.state.value}; only a conflict or failed entry can be queued again")
        entry.state = EntryState.QUEUED
        entry.conflicts = []
        entry.message = ""

    def set_strategy(self, entry_id: str, strategy: str) -> None:
        self.entry(entry_id).strategy = strategy

    def send_conflict_to_agent(self, entry_id: str) -> str:
        entry = self.entry(entry_id)
        text = conflict_prompt(entry.base_branch, entry.conflicts)
        self.sent.append(text)
        return text

    def detail(self, entry: QueueEntry) -> str:
        if entry.conflicts:
            return "Conflicts: " + ", ".join(f"{conflict.path} ({conflict.kind})" for conflict in entry.conflicts)
        return entry.message

    def land_queue(self) -> list[LandOutcome]:
        if self.release is not None:
            self.release.wait()
        return [
            outcome
            for _entry, outcome in land_queue(
                self.root,
                self.entries,
                lambda entry: LandRequest(entry.task_id, self.titles[entry.task_id]),
            )
        ]

    def remove_entry(self, entry_id: str) -> None:
        self.removed.append(entry_id)
        for entry in self.entries:
            if entry.id == entry_id:
                entry.state = EntryState.REMOVED


class QueueApp(App[None]):
    def __init__(self, queue: RepositoryQueue) -> None:
        super().__init__()
        self.queue = queue
        self.dismissed: list[object] = []

    def on_mount(self) -> None:
        self.push_screen(MergeQueueScreen(self.queue), self.dismissed.append)


def make_repo(path: Path) -> pygit2.Repository:
    repo = pygit2.init_repository(str(path), initial_head="main")
    repo.config["user.name"] = "Test"
    repo.config["user.email"] = "test@example.com"
    (path / "a.txt").write_bytes(b"one\ntwo\nthree\n")
    repo.index.add("a.txt")
    repo.index.write()
    repo.create_commit("HEAD", SIGNATURE, SIGNATURE, "initial", repo.index.write_tree(), [])
    return repo


def branch_with(repo: pygit2.Repository, branch: str, changes: dict[str, bytes]) -> None:
    """Create *branch* at main with one commit of *changes*, made in memory."""
    parent = repo.branches.local["main"].peel(pygit2.Commit)
    index = pygit2.Index()
    index.read_tree(parent.tree)
    for name, data in changes.items():
        index.add(pygit2.IndexEntry(name, repo.create_blob(data), FileMode.BLOB))
    tree = index.write_tree(repo)
    repo.create_commit(f"refs/heads/{branch}", SIGNATURE, SIGNATURE, branch, tree, [parent.id])


@pytest.fixture
def queue(tmp_path: Path) -> RepositoryQueue:
    repo = make_repo(tmp_path / "app")
    branch_with(repo, "agentdeck/first", {"a.txt": b"one\nfirst\nthree\n"})
    branch_with(repo, "agentdeck/clash", {"a.txt": b"one\nclash\nthree\n"})
    branch_with(repo, "agentdeck/docs", {"README.md": b"# app\n"})
    return RepositoryQueue(
        Path(repo.workdir),
        [("agentdeck/first", "First change"), ("agentdeck/clash", "Clashing change"), ("agentdeck/docs", "Add a readme")],
    )


def state_cells(app: App) -> list[str]:
    table = app.screen.query_one(DataTable)
    return [str(table.get_cell_at((row, 0))) for row in range(table.row_count)]


def detail_text(app: App) -> str:
    return str(app.screen.query_one("#queue-detail", Static).render())


def toasts(app: App) -> list[str]:
    # Headless runs queue notifications without mounting toast widgets, so read the queue itself.
    return [notification.message for notification in app._notifications]


@pytest.mark.parametrize("size", SIZES)
async def test_land_shows_states_and_summary(queue: RepositoryQueue, size: tuple[int, int]) -> None:
    app = QueueApp(queue)
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        assert state_cells(app) == ["○ queued"] * 3
        assert "Waiting to land" in detail_text(app)

        await pilot.press("l")
        await app.workers.wait_for_complete()
        await pilot.pause()

        assert state_cells(app) == ["✓ landed", "✗ conflict", "✓ landed"]
        assert any("Landed 2, 1 conflict" in text for text in toasts(app))
        assert "Landed agentdeck/first on main" in detail_text(app)

        await pilot.press("j")
        assert "a.txt (content)" in detail_text(app)
        detail = app.screen.query_one("#queue-detail", Static)
        assert detail.region.height > 0
        assert detail.region.bottom <= size[1]

        await pilot.press("k")
        assert "agentdeck/first" in detail_text(app)

    main = pygit2.Repository(str(queue.root)).branches.local["main"].peel(pygit2.Commit)
    assert len(main.parents) == 2
    status = subprocess.run(["git", "status", "--porcelain"], cwd=queue.root, capture_output=True, text=True, check=True)
    assert status.stdout == ""
    assert (queue.root / "README.md").read_bytes() == b"# app\n"


async def test_progress_shows_while_landing(queue: RepositoryQueue) -> None:
    queue.release = threading.Event()
    app = QueueApp(queue)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("l")
        await pilot.pause()

        progress = app.screen.query_one("#queue-progress")
        assert progress.has_class("-active")
        assert state_cells(app) == ["» landing"] * 3
        assert "Landing 3 entries" in str(app.screen.query_one("#queue-progress-text", Static).render())

        await pilot.press("x")
        assert queue.removed == []

        queue.release.set()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert not progress.has_class("-active")
        assert state_cells(app) == ["✓ landed", "✗ conflict", "✓ landed"]


async def test_remove_selected_entry(queue: RepositoryQueue) -> None:
    app = QueueApp(queue)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("down", "x")
        await pilot.pause()

        assert queue.removed == [queue.entries[1].id]
        assert state_cells(app) == ["○ queued", "– removed", "○ queued"]
        assert app.screen.query_one(DataTable).cursor_row == 1


async def test_empty_queue_says_so() -> None:
    app = QueueApp(RepositoryQueue(Path("/nonexistent"), []))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        empty = app.screen.query_one("#queue-empty", Static)
        assert empty.display
        assert str(empty.render()) == EMPTY_QUEUE_TEXT
        assert not app.screen.query_one(DataTable).display

        await pilot.press("l")
        await pilot.pause()
        assert any("Nothing to land" in text for text in toasts(app))


async def test_escape_dismisses(queue: RepositoryQueue) -> None:
    app = QueueApp(queue)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
        assert app.dismissed == [None]
        assert not isinstance(app.screen, MergeQueueScreen)


async def test_bindings_have_ids_and_show_in_footer(queue: RepositoryQueue) -> None:
    app = QueueApp(queue)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        for binding in MergeQueueScreen.BINDINGS:
            assert binding.id
            assert binding.description
        footer = app.screen.query_one("Footer")
        keys = {str(item.key) for item in footer.query("FooterKey")}
        assert {"l", "x", "escape"} <= keys


async def test_leaving_while_landing_still_lands(queue: RepositoryQueue) -> None:
    queue.release = threading.Event()
    app = QueueApp(queue)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("l")
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
        assert app.dismissed == [None]

        queue.release.set()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert any("Landed 2, 1 conflict" in text for text in toasts(app))

    assert [entry.state for entry in queue.entries] == [EntryState.LANDED, EntryState.CONFLICT, EntryState.LANDED]


class BrokenQueue(RepositoryQueue):
    def land_queue(self) -> list[LandOutcome]:
        raise StateError("/repo/.git/agentdeck/state.json: cannot save tasks: No space left on device")


async def test_landing_error_is_shown(tmp_path: Path) -> None:
    app = QueueApp(BrokenQueue(tmp_path, [("agentdeck/first", "First change")]))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("l")
        await app.workers.wait_for_complete()
        await pilot.pause()

        assert any("No space left on device" in text for text in toasts(app))
        assert state_cells(app) == ["○ queued"]
        assert not app.screen.query_one("#queue-progress").has_class("-active")


def titles(app: App) -> list[str]:
    table = app.screen.query_one(DataTable)
    return [str(table.get_cell_at((row, 2))) for row in range(table.row_count)]


async def test_reorder_changes_landing_order(queue: RepositoryQueue) -> None:
    app = QueueApp(queue)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("J")
        await pilot.pause()
        assert titles(app) == ["Clashing change", "First change", "Add a readme"]
        assert app.screen.query_one(DataTable).cursor_row == 1

        await pilot.press("shift+down")
        await pilot.pause()
        assert titles(app) == ["Clashing change", "Add a readme", "First change"]

        await pilot.press("K", "K")
        await pilot.pause()
        assert titles(app) == ["First change", "Clashing change", "Add a readme"]

        await pilot.press("down", "K", "l")
        await app.workers.wait_for_complete()
        await pilot.pause()
    # The clashing change lands first now, so the first change is the one in conflict.
    assert [entry.state for entry in queue.entries] == [EntryState.LANDED, EntryState.CONFLICT, EntryState.LANDED]
    assert queue.titles[queue.entries[1].task_id] == "First change"


async def test_strategy_cycles_and_lands(queue: RepositoryQueue) -> None:
    app = QueueApp(queue)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("s")
        await pilot.pause()
        cells = app.screen.query_one(DataTable)
        assert str(cells.get_cell_at((0, 1))) == "squash"
        assert "(squash)" in detail_text(app)
        await pilot.press("s", "s", "s")
        await pilot.pause()
        assert str(cells.get_cell_at((0, 1))) == "merge"
        await pilot.press("s")
        await pilot.pause()
    assert queue.entries[0].strategy == "squash"


async def test_conflict_requeue_and_send(queue: RepositoryQueue) -> None:
    app = QueueApp(queue)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("r")
        await pilot.pause()
        assert any("only a conflict or failed entry" in text for text in toasts(app))

        await pilot.press("l")
        await app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.press("down", "a")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert len(queue.sent) == 1
        assert "- a.txt (content conflict)" in queue.sent[0]
        assert "Merge main into this branch" in queue.sent[0]
        assert any("resolve the conflicts" in text for text in toasts(app))

        await pilot.press("r")
        await pilot.pause()
        assert state_cells(app) == ["✓ landed", "○ queued", "✓ landed"]


async def test_send_needs_conflict(queue: RepositoryQueue) -> None:
    app = QueueApp(queue)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("a")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert queue.sent == []
        assert any("Only an entry in conflict" in text for text in toasts(app))


async def test_detail_shows_check_log_tail(queue: RepositoryQueue, tmp_path: Path) -> None:
    log_path = check_log_path(tmp_path / "state", queue.entries[0].id)
    log_path.parent.mkdir(parents=True)
    log_path.write_text("".join(f"test line {number}\n" for number in range(40)))
    queue.entries[0].check_log = str(log_path)
    app = QueueApp(queue)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        text = detail_text(app)
        assert "test line 39" in text
        assert "test line 20" not in text

        # While the queue lands, the pane follows the log as it grows.
        queue.release = threading.Event()
        await pilot.press("l")
        with log_path.open("a") as handle:
            handle.write("fresh output\n")
        await pilot.pause(1.2)
        assert "fresh output" in detail_text(app)
        queue.release.set()
        await app.workers.wait_for_complete()
