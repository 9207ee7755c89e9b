"""The deck: the task list above the selected task's live terminal."""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path

from textual import work
from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import DataTable, Header

from agentdeck.deck import Deck
from agentdeck.errors import AgentdeckError, TaskError
from agentdeck.notifications import ProgramEventRelay, desktop_notification, terminal_notification
from agentdeck.tasks import SessionStatus, Task
from agentdeck.terminal import TerminalEvent
from agentdeck.ui.bindings import DECK_BINDINGS
from agentdeck.ui.screens.confirm import ConfirmScreen
from agentdeck.ui.screens.help import HelpScreen
from agentdeck.ui.screens.new_task import NewTaskRequest, NewTaskScreen
from agentdeck.ui.widgets.task_list import TaskList
from agentdeck.ui.widgets.terminal_pane import TerminalPane
from agentdeck.ui.widgets.key_footer import KeyFooter

log = logging.getLogger(__name__)

STATUS_INTERVAL = 0.5
DIFF_STAT_INTERVAL = 3.0

def notification_for(previous: SessionStatus, current: SessionStatus) -> tuple[str, str] | None:
    """Return the message and severity for a status change worth telling the user, or None.

    One event per change: entering waiting, finishing a turn (working to idle),
    exiting and failing. Flaps inside a turn never reach here, because a
    session only turns idle after its output settles.
    """
    if current is SessionStatus.WAITING:
        return "is waiting for you", "warning"
    if current is SessionStatus.IDLE and previous is SessionStatus.WORKING:
        return "finished its turn", "information"
    if current is SessionStatus.EXITED:
        return "exited", "information"
    if current is SessionStatus.FAILED:
        return "failed", "error"
    return None


def display_path(path: Path) -> str:
    """Return *path* with the home folder shortened to ``~``."""
    home = Path.home()
    if path.is_relative_to(home):
        return str(Path("~") / path.relative_to(home))
    return str(path)


class DeckScreen(Screen[None]):
    """The dashboard: every task, and the selected task's terminal."""

    BINDINGS = DECK_BINDINGS

    DEFAULT_CSS = """
    DeckScreen TaskList { border: round $primary-darken-2; }
    DeckScreen TaskList:focus { border: round $primary; }
    DeckScreen #empty-hint { display: none; }
    DeckScreen TerminalPane { height: 1fr; border: round $panel-lighten-2; }
    DeckScreen TerminalPane:focus { border: round $accent; }
    """

    def __init__(self, deck: Deck) -> None:
        super().__init__()
        self.deck = deck
        self.clock = time.time
        """Wall clock for elapsed times; tests replace it to get stable screenshots."""
        self.relay = ProgramEventRelay()
        """The filter that decides which of the agents' own bells and notifications reach the user."""

    def compose(self) -> ComposeResult:
        yield Header()
        yield TaskList(id="tasks")
        yield TerminalPane(id="terminal")
        yield KeyFooter(compact=True)

    def on_mount(self) -> None:
        self.app.sub_title = display_path(self.deck.repository.root)
        task_list = self.query_one(TaskList)
        task_list.border_title = "Tasks"
        task_list.sync(self.deck.tasks, self.clock(), self.deck.queue_states())
        task_list.focus()
        self._show_selected()
        self.set_interval(STATUS_INTERVAL, self.refresh_statuses)
        self.set_interval(DIFF_STAT_INTERVAL, self.refresh_diff_stats)
        self.refresh_diff_stats()

    # -- helpers ------------------------------------------------------------------------

    @property
    def task_list(self) -> TaskList:
        return self.query_one(TaskList)

    @property
    def terminal(self) -> TerminalPane:
        return self.query_one(TerminalPane)

    def selected_task(self) -> Task | None:
        task_id = self.task_list.selected_task_id
        return self.deck.state.task(task_id) if task_id else None

    def _require_task(self) -> Task | None:
        task = self.selected_task()
        if task is None:
            self.notify("No task selected. Press n to start one.", severity="warning")
        return task

    def _show_selected(self) -> None:
        task = self.selected_task()
        pane = self.terminal
        if task is None:
            pane.attach(None)
            pane.border_title = "Terminal"
            return
        session = self.deck.session(task.id)
        pane.attach(session, hint=f"The agent of “{task.title}” is not running. Press r to start it.")
        program_title = ""
        if session is not None:
            with session.lock:
                program_title = session.terminal.title
        self._set_pane_title(task, program_title)
        self._update_pane_hint()

    def _set_pane_title(self, task: Task, program_title: str) -> None:
        """Title the pane with the task and branch, and the window title the agent set, if any."""
        program_title = " ".join(program_title.split())
        suffix = f" · {program_title}" if program_title and program_title != task.title else ""
        self.terminal.border_title = f"{task.title} · {task.branch}{suffix}"

    @work(thread=True, exclusive=True, group="statuses")
    def refresh_statuses(self) -> None:
        # Reading every screen, polling hook files and saving the state file are too slow
        # for the event loop, so they run here and only the results go back to the UI.
        changes = self.deck.refresh_statuses_with_previous()
        # Every session's bells and notifications, shown in the pane or not.
        program_events: list[tuple[Task, list[TerminalEvent]]] = []
        for task in self.deck.tasks:
            session = self.deck.session(task.id)
            events = session.take_events() if session is not None else []
            if events:
                program_events.append((task, events))
        self.app.call_from_thread(self._show_statuses, changes, program_events)

    def _show_statuses(
        self, changes: list[tuple[Task, SessionStatus]], program_events: list[tuple[Task, list[TerminalEvent]]] = ()
    ) -> None:
        announced: set[str] = set()
        for task, previous in changes:
            event = notification_for(previous, task.status)
            if event is None:
                continue
            text, severity = event
            if self._typing_into(task) and task.status in (SessionStatus.WAITING, SessionStatus.IDLE):
                # The terminal is in front of the user, and a toast would cover its prompt.
                continue
            self.announce(task, text, severity)
            announced.add(task.id)
        now = time.monotonic()
        for task, events in program_events:
            typing_here = self._typing_into(task)
            for text in self.relay.relay(task.id, events, announced=task.id in announced, typing_here=typing_here, now=now):
                self.announce(task, text, "information")
        self.task_list.sync(self.deck.tasks, self.clock(), self.deck.queue_states())

    def _typing_into(self, task: Task) -> bool:
        """Return whether the user's keys go to *task*'s terminal right now."""
        session = self.terminal.session
        return self.terminal.has_focus and session is not None and session is self.deck.session(task.id)

    def announce(self, task: Task, text: str, severity: str) -> None:
        """Tell the user about one status event: a toast, the bell, the outer terminal and the desktop."""
        message = f"{task.title} {text}."
        self.notify(message, severity=severity)
        self.app.bell()
        driver = self.app._driver  # Textual has no public call to write raw sequences.
        if driver is not None and not self.app.is_headless:
            driver.write(terminal_notification("agentdeck", message, inside_tmux="TMUX" in os.environ))
        desktop_notification("agentdeck", message)

    def refresh_diff_stats(self) -> None:
        task = self.selected_task()
        self._count_changes(task.id if task is not None else None)

    @work(thread=True, exclusive=True, group="diff-stats")
    def _count_changes(self, selected: str | None) -> None:
        self.deck.refresh_diff_stats(selected)

    # -- events ---------------------------------------------------------------------------

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._show_selected()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        self.action_focus_terminal()

    def on_terminal_pane_leave_requested(self, event: TerminalPane.LeaveRequested) -> None:
        self.task_list.focus()

    def on_terminal_pane_title_changed(self, event: TerminalPane.TitleChanged) -> None:
        task = self.selected_task()
        if task is not None and event.session is self.deck.session(task.id):
            self._set_pane_title(task, event.title)

    def on_descendant_focus(self, event) -> None:
        self._update_pane_hint()

    def on_descendant_blur(self, event) -> None:
        self._update_pane_hint()

    def _update_pane_hint(self) -> None:
        pane = self.terminal
        if pane.has_focus:
            pane.border_subtitle = "TYPING TO THE AGENT · ctrl+] back to the deck"
        else:
            pane.border_subtitle = "enter: type to the agent"

    # -- actions --------------------------------------------------------------------------

    def action_cursor_down(self) -> None:
        self.task_list.action_cursor_down()

    def action_cursor_up(self) -> None:
        self.task_list.action_cursor_up()

    def action_focus_terminal(self) -> None:
        task = self._require_task()
        if task is None:
            return
        if self.deck.session(task.id) is None:
            self.notify(f"{task.title} has no running agent. Press r to start it.", severity="warning")
            return
        self.terminal.focus()

    def action_new_task(self) -> None:
        screen = NewTaskScreen(
            agents=self.deck.agent_names(),
            default_agent=self.deck.config.default_agent,
            branches=self.deck.branches(),
            default_branch=self.deck.default_base_branch(),
        )
        self.app.push_screen(screen, self._create_task)

    def _create_task(self, request: NewTaskRequest | None) -> None:
        if request is not None:
            self.create_task(request)

    @work(thread=True, group="tasks")
    def create_task(self, request: NewTaskRequest) -> None:
        columns, rows = self.terminal.terminal_size
        try:
            task = self.deck.create_task(
                request.title, request.prompt, request.agent, request.base_branch, columns, rows, request.auto_accept
            )
        except AgentdeckError as error:
            log.warning("creating task %r failed: %s", request.title, error)
            self.app.call_from_thread(self.notify, str(error), title="Task not started", severity="error", timeout=10)
            self.app.call_from_thread(self.task_list.sync, self.deck.tasks, self.clock(), self.deck.queue_states())
            return
        self.app.call_from_thread(self._task_created, task)

    def _task_created(self, task: Task) -> None:
        self.task_list.sync(self.deck.tasks, self.clock(), self.deck.queue_states())
        self.task_list.select_task(task.id)
        self._show_selected()
        self.notify(f"Started {task.agent} on branch {task.branch}.", title=task.title)

    def action_review(self) -> None:
        task = self._require_task()
        if task is None:
            return
        from agentdeck.ui.screens.review import ReviewScreen, ReviewSource

        task_id = task.id
        self.app.push_screen(
            ReviewScreen(task.title, ReviewSource.for_deck(self.deck, task_id)),
            lambda result: self._after_review(task_id, result),
        )

    def _after_review(self, task_id: str, result: object) -> None:
        if result == "approve":
            self.approve(task_id)

    @work(thread=True, group="tasks")
    def approve(self, task_id: str) -> None:
        try:
            result = self.deck.approve(task_id)
        except AgentdeckError as error:
            self.app.call_from_thread(self.notify, str(error), title="Not approved", severity="error", timeout=15)
            return
        committed = f"Committed {result.commit[:8]}" if result.commit else "Nothing new to commit"
        hooks = " (git not found: commit hooks were skipped)" if result.hooks_skipped and result.commit else ""
        queued = "re-queued" if result.already_queued else "added to the merge queue"
        self.app.call_from_thread(self.notify, f"{committed}{hooks}; {queued}. Press m to land it.", title="Approved")

    def action_merge_queue(self) -> None:
        from agentdeck.ui.screens.merge_queue import MergeQueueScreen

        self.app.push_screen(MergeQueueScreen(self.deck))

    def action_stop_task(self) -> None:
        task = self._require_task()
        if task is None:
            return
        session = self.deck.session(task.id)
        if session is None or not session.is_alive:
            self.notify(f"{task.title} is not running.", severity="warning")
            return
        task_id = task.id
        self.app.push_screen(
            ConfirmScreen(f"Stop the agent of “{task.title}”?", "Its worktree and branch stay; r starts it again.", "Stop"),
            lambda yes: self.stop_task(task_id) if yes else None,
        )

    @work(thread=True, group="tasks")
    def stop_task(self, task_id: str) -> None:
        self.deck.stop_session(task_id)

    def action_restart_task(self) -> None:
        task = self._require_task()
        if task is None:
            return
        session = self.deck.session(task.id)
        if session is not None and session.is_alive:
            self.notify(f"{task.title} is running. Stop it first with x.", severity="warning")
            return
        columns, rows = self.terminal.terminal_size
        resume = bool(self.deck.config.agent(task.agent).resume)
        try:
            self.deck.start_session(task.id, columns, rows, with_prompt=False, resume=resume)
        except AgentdeckError as error:
            self.notify(str(error), title="Not started", severity="error", timeout=10)
            return
        self._show_selected()

    def action_toggle_auto_accept(self) -> None:
        task = self._require_task()
        if task is None:
            return
        enabled = not task.auto_accept
        self.deck.set_auto_accept(task.id, enabled)
        state = "on: permission prompts are answered with yes" if enabled else "off"
        self.notify(f"Auto-accept {state}.", title=task.title)
        self.task_list.sync(self.deck.tasks, self.clock(), self.deck.queue_states())

    def action_delete_task(self) -> None:
        task = self._require_task()
        if task is None:
            return
        task_id = task.id
        self.app.push_screen(
            ConfirmScreen(
                f"Delete the task “{task.title}”?",
                f"Stops its agent and removes {task.worktree}. The branch {task.branch} is deleted only if it is fully landed.",
                "Delete",
                danger=True,
            ),
            lambda yes: self.delete_task(task_id, False) if yes else None,
        )

    @work(thread=True, group="tasks")
    def delete_task(self, task_id: str, force: bool) -> None:
        try:
            branch_deleted = self.deck.delete_task(task_id, force=force)
        except TaskError as error:
            if force:
                self.app.call_from_thread(self.notify, str(error), severity="error", timeout=15)
                return
            self.app.call_from_thread(self._confirm_forced_delete, task_id, str(error))
            return
        except AgentdeckError as error:
            self.app.call_from_thread(self.notify, str(error), title="Not deleted", severity="error", timeout=15)
            return
        self.app.call_from_thread(self._task_deleted, branch_deleted)

    def _confirm_forced_delete(self, task_id: str, reason: str) -> None:
        self.app.push_screen(
            ConfirmScreen(
                "This task has work that is not landed.",
                f"{reason}.\nDelete anyway? Uncommitted changes in the worktree are lost; unlanded commits stay on the branch.",
                "Delete anyway",
                danger=True,
            ),
            lambda yes: self.delete_task(task_id, True) if yes else None,
        )

    def _task_deleted(self, branch_deleted: bool) -> None:
        self.task_list.sync(self.deck.tasks, self.clock(), self.deck.queue_states())
        self._show_selected()
        if branch_deleted:
            self.notify("Task deleted with its worktree and its landed branch.")
        else:
            self.notify("Task and worktree deleted. Its branch is kept because it has commits not on the base branch.")

    def action_help(self) -> None:
        self.app.push_screen(HelpScreen())

    def action_quit_deck(self) -> None:
        running = self.deck.running_sessions()
        if not running:
            self.app.exit()
            return
        self.app.push_screen(
            ConfirmScreen(
                f"{len(running)} agent(s) still running. Quit?",
                "Quitting stops every agent. Worktrees, branches and the queue are kept for next time.",
                "Quit",
            ),
            lambda yes: self.quit_after_stopping() if yes else None,
        )

    @work(thread=True, group="quit")
    def quit_after_stopping(self) -> None:
        self.deck.shutdown()
        self.app.call_from_thread(self.app.exit)
