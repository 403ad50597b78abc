"""How ``running`` begins and ends a run: the ledger row, the report and every
connection closed, with the status the way the work ended says (a SQLite ledger,
connectors that only count their calls and closes)."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml

from lockstep.config.loader import LoadedConfig, load_config
from lockstep.connectors.base import CallCounter, Connector
from lockstep.errors import LockstepError, Transient, Unreachable
from lockstep.ledger import Ledger
from lockstep.reports.progress import Progress
from lockstep.runs import interrupt
from lockstep.runs.interrupt import Interrupted
from lockstep.runs.lifecycle import running
from lockstep.runs.paths import resolve_paths
from lockstep.runs.scope import chosen_steps

EXAMPLE = Path(__file__).parents[3] / "examples" / "ams-migration"


@dataclass
class Counting:
    """A connector that is always there (or never, with ``down``)."""

    name: str
    down: bool = False
    calls: CallCounter = field(default_factory=CallCounter)
    closed: int = 0

    def check(self) -> None:
        self.calls.count("rest")
        if self.down:
            raise Unreachable(self.name, "connection refused")

    def close(self) -> None:
        self.closed += 1


@dataclass
class Systems:
    down: frozenset[str] = frozenset()
    opened: dict[str, Counting] = field(default_factory=dict)

    def __call__(self, name: str, system: object) -> Connector:
        connector = self.opened[name] = Counting(name, name in self.down)
        return connector  # type: ignore[return-value]

    def all_closed(self) -> bool:
        return bool(self.opened) and all(c.closed == 1 for c in self.opened.values())


class Notes(Progress):
    def __init__(self) -> None:
        self.lines: list[str] = []

    def note(self, message: str) -> None:
        self.lines.append(message)


@pytest.fixture
def loaded(tmp_path: Path) -> LoadedConfig:
    config = yaml.safe_load((EXAMPLE / "lockstep.yaml").read_text())
    del config["systems"]["crm"]["ca_cert"]  # nothing connects
    config["run"]["ledger"] = "sqlite:///ledger.db"
    config["run"]["reports"] = "reports"
    path = tmp_path / "lockstep.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    shutil.copy(EXAMPLE / "org.yaml", tmp_path / "org.yaml")
    return load_config(path, environ={"SF_CLIENT_SECRET": "s"})


def stored(loaded: LoadedConfig, run_id: str) -> str:
    ledger = Ledger.open(resolve_paths(loaded)[0])
    try:
        run = ledger.last_run("sync", status=None)
        assert run is not None and run.run_id == run_id
        return run.status
    finally:
        ledger.close()


def test_a_run_that_returns_is_done_with_its_report_finished(loaded: LoadedConfig) -> None:
    systems = Systems()
    steps = chosen_steps(loaded.config, None)
    with running(loaded, "sync", steps, connect=systems) as session:
        session.tally("company").add("selected", 2)
        session.notes.append("a note")
    summary = session.summary
    assert (summary.status, summary.counts.selected, summary.notes) == ("done", 2, ("a note",))
    assert summary.api_calls == {"ams": 1, "crm": 1}  # the checks are the run's calls
    written = json.loads((Path(summary.reports) / "summary.json").read_text())
    assert written["status"] == "done" and written["counts"]["selected"] == 2
    assert stored(loaded, summary.run_id) == "done"
    assert systems.all_closed()


def test_a_run_that_raises_fails_and_keeps_its_report_as_far_as_it_got(
    loaded: LoadedConfig,
) -> None:
    systems, notes = Systems(), Notes()
    steps = chosen_steps(loaded.config, None)
    with (
        pytest.raises(RuntimeError),
        running(loaded, "sync", steps, connect=systems, progress=notes) as session,
    ):
        raise RuntimeError("boom")
    summary = session.summary
    assert summary.status == "failed"
    assert not (Path(summary.reports) / "summary.json").exists()
    assert (Path(summary.reports) / "processed.csv").exists()
    assert stored(loaded, summary.run_id) == "failed"
    assert notes.lines == [f"run {summary.run_id} failed; reports so far in {summary.reports}"]
    assert systems.all_closed()


@pytest.mark.parametrize("stop", ["checkpoint", "KeyboardInterrupt"])
def test_a_run_a_signal_stops_ends_interrupted_with_its_reports(
    loaded: LoadedConfig, stop: str
) -> None:
    """Ctrl-C where lockstep handles it (a checkpoint after the first signal), and a
    ``KeyboardInterrupt`` where it does not: both end the run interrupted, its reports
    written as for any other end."""
    systems, notes = Systems(), Notes()
    steps = chosen_steps(loaded.config, None)
    raised: type[BaseException] = Interrupted if stop == "checkpoint" else KeyboardInterrupt
    with (
        pytest.raises(raised) as caught,
        running(loaded, "sync", steps, connect=systems, progress=notes) as session,
    ):
        session.tally("company").add("selected", 3)
        if stop == "checkpoint":
            signal.raise_signal(signal.SIGINT)  # asks; the work goes on to a checkpoint
            interrupt.checkpoint()
        raise KeyboardInterrupt
    summary = session.summary
    assert summary.status == "interrupted"
    written = json.loads((Path(summary.reports) / "summary.json").read_text())
    assert (written["status"], written["counts"]["selected"]) == ("interrupted", 3)
    assert stored(loaded, summary.run_id) == "interrupted"
    assert notes.lines == []  # the command says it, in one line
    assert systems.all_closed()
    if isinstance(caught.value, Interrupted):
        assert caught.value.summary == summary and caught.value.recorded


def test_a_signal_while_connecting_starts_no_run(loaded: LoadedConfig) -> None:
    def prepare(ledger: Ledger, down: Mapping[str, Transient]) -> list[str]:
        signal.raise_signal(signal.SIGTERM)
        return []

    steps = chosen_steps(loaded.config, None)
    systems = Systems()
    with (
        pytest.raises(Interrupted) as caught,
        running(loaded, "sync", steps, connect=systems, prepare=prepare),
    ):
        raise AssertionError("the work never starts")
    assert (caught.value.exit_code, caught.value.summary) == (143, None)
    ledger = Ledger.open(resolve_paths(loaded)[0])
    assert ledger.last_run("sync", status=None) is None
    ledger.close()
    assert systems.all_closed()


def test_a_second_signal_inside_a_ledger_transaction_stops_at_once_and_is_recorded(
    loaded: LoadedConfig,
) -> None:
    """The second signal lands between a statement and its commit: the transaction is
    undone, and the run is still recorded interrupted."""
    steps = chosen_steps(loaded.config, None)
    with (
        pytest.raises(Interrupted) as caught,
        running(loaded, "sync", steps, connect=Systems()) as session,
    ):
        signal.raise_signal(signal.SIGINT)
        with session.ledger.transaction() as conn:
            session.ledger.link_many("company", "ams", [("g-1", "1")], conn=conn)
            signal.raise_signal(signal.SIGINT)
            raise AssertionError("not stopped at once")
    assert caught.value.hard and caught.value.recorded
    assert stored(loaded, session.run_id) == "interrupted"
    ledger = Ledger.open(resolve_paths(loaded)[0])
    assert ledger.global_ids("company", "ams", ["1"]) == {}
    ledger.close()


def test_what_the_flow_names_ends_a_run_interrupted(loaded: LoadedConfig) -> None:
    systems = Systems()
    steps = chosen_steps(loaded.config, None)
    with (
        pytest.raises(Transient),
        running(loaded, "sync", steps, connect=systems, interrupted_by=(Transient,)) as session,
    ):
        raise Unreachable("crm", "gone")
    assert session.summary.status == "interrupted"
    assert stored(loaded, session.run_id) == "interrupted"
    assert systems.all_closed()


def test_a_system_that_is_down_ends_the_run_before_it_starts(loaded: LoadedConfig) -> None:
    systems = Systems(down=frozenset({"crm"}))
    steps = chosen_steps(loaded.config, None)
    with pytest.raises(Unreachable), running(loaded, "sync", steps, connect=systems):
        raise AssertionError("the work never starts")
    ledger = Ledger.open(resolve_paths(loaded)[0])
    assert ledger.last_run("sync", status=None) is None
    ledger.close()
    assert systems.all_closed()


def test_a_tolerated_system_down_leaves_the_run_interrupted_with_its_report(
    loaded: LoadedConfig,
) -> None:
    systems = Systems(down=frozenset({"crm"}))
    steps = chosen_steps(loaded.config, None)

    def prepare(ledger: Ledger, down: Mapping[str, Transient]) -> list[str]:
        return [f"down: {', '.join(sorted(down))}"]

    with running(
        loaded, "sync", steps, connect=systems, tolerate_down=True, prepare=prepare
    ) as session:
        assert set(session.down) == {"crm"}
    summary = session.summary
    assert (summary.status, summary.notes) == ("interrupted", ("down: crm",))
    assert (Path(summary.reports) / "summary.json").exists()
    assert systems.all_closed()


def test_a_refused_run_records_nothing(loaded: LoadedConfig) -> None:
    systems = Systems()
    steps = chosen_steps(loaded.config, None)

    def refuse(ledger: Ledger) -> None:
        raise LockstepError("refused")

    with (
        pytest.raises(LockstepError),
        running(loaded, "sync", steps, connect=systems, check=refuse),
    ):
        raise AssertionError("the work never starts")
    assert systems.opened == {}


STOPPED_BY_SIGTERM = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    sys.path.insert(0, {here!r})
    from test_lifecycle import Systems
    from lockstep.config.loader import load_config
    from lockstep.runs import interrupt
    from lockstep.runs.lifecycle import running
    from lockstep.runs.scope import chosen_steps

    loaded = load_config({config!r}, environ={{"SF_CLIENT_SECRET": "s"}})
    steps = chosen_steps(loaded.config, None)
    try:
        with running(loaded, "sync", steps, connect=Systems()) as session:
            Path({started!r}).write_text(session.run_id)
            for _ in range(600):
                time.sleep(0.1)
                interrupt.checkpoint()
    except interrupt.Interrupted as stop:
        sys.exit(stop.exit_code)
    """
)


def test_sigterm_ends_the_run_interrupted_at_its_next_checkpoint(
    loaded: LoadedConfig, tmp_path: Path
) -> None:
    started = tmp_path / "started"
    script = STOPPED_BY_SIGTERM.format(
        here=str(Path(__file__).parent), config=str(loaded.path), started=str(started)
    )
    errors = tmp_path / "stderr"
    with errors.open("wb") as err:
        process = subprocess.Popen([sys.executable, "-c", script], stderr=err)
    try:
        deadline = time.monotonic() + 30
        while not started.exists():
            assert process.poll() is None, errors.read_text()
            assert time.monotonic() < deadline
            time.sleep(0.05)
        process.send_signal(signal.SIGTERM)
        assert process.wait(30) == 143, errors.read_text()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    run_id = started.read_text()
    assert stored(loaded, run_id) == "interrupted"
    reports = resolve_paths(loaded)[1] / run_id
    assert json.loads((reports / "summary.json").read_text())["status"] == "interrupted"
    assert errors.read_text() == ""
