"""Where a benchmark run's CPU goes, per request: the web server, Redis, MariaDB, the
write-behind worker, the load generator and the rest of the machine.

Read from ``/proc`` (Linux): each group's processes with all their descendants, their
user plus system time, before and after the measured run; the load generator's from the
bench's own reaped children (``RUSAGE_CHILDREN``: wrk is the one child that ends during
the run); the machine's busy time from ``/proc/stat``. "The rest" is the machine's busy
time less every group: the kernel's network work on behalf of all of them, interrupts,
and whatever else ran. Divided by the requests the run answered, this is the
microseconds each request cost each part, which is what a ratio between two servers
on one machine is made of.
"""

import os
import resource
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

_TICKS = os.sysconf("SC_CLK_TCK")
LOAD_GENERATOR = "wrk"
REST = "the rest (kernel, interrupts, other processes)"


def _stat_fields(pid: int) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name is in parentheses and may hold spaces: split after its ")".
    return text[text.rindex(")") + 2 :].split()


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (fields := _stat_fields(int(entry.name))) is not None:
            tree.setdefault(int(fields[1]), []).append(int(entry.name))
    return tree


def process_tree_seconds(roots: list[int]) -> float:
    """User plus system CPU seconds of ``roots`` and every descendant alive now."""
    tree, seen, pending, ticks = _children(), set(), list(roots), 0
    while pending:
        pid = pending.pop()
        if pid in seen:
            continue
        seen.add(pid)
        fields = _stat_fields(pid)
        if fields is not None:
            ticks += int(fields[11]) + int(fields[12])  # utime, stime
        pending += tree.get(pid, [])
    return ticks / _TICKS


def pids_named(*names: str) -> list[int]:
    """The processes whose command name is one of ``names`` (e.g. mariadbd, redis-server)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() in names:
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def machine_busy_seconds() -> float:
    """Every CPU's non-idle time since boot, in seconds."""
    user, nice, system, _idle, _iowait, irq, softirq, steal = map(int, Path("/proc/stat").read_text().split()[1:9])
    return (user + nice + system + irq + softirq + steal) / _TICKS


def _children_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


@dataclass
class CpuSplit:
    """Per-request CPU of a run, by group: ``groups`` maps a name to a function that
    lists the group's root processes when the run starts (a group with none is left out)."""

    groups: dict[str, Callable[[], list[int]]]
    micros: dict[str, float] = field(default_factory=dict)
    _roots: dict[str, list[int]] = field(default_factory=dict)
    _start: dict[str, float] = field(default_factory=dict)

    def start(self) -> None:
        self._roots = {name: roots for name, find in self.groups.items() if (roots := find())}
        self._start = {name: process_tree_seconds(roots) for name, roots in self._roots.items()}
        self._start[LOAD_GENERATOR] = _children_seconds()
        self._start[REST] = machine_busy_seconds()

    def stop(self, requests: int) -> dict[str, float]:
        """Microseconds of CPU per request for each group, the load generator and the rest."""
        spent = {name: process_tree_seconds(roots) - self._start[name] for name, roots in self._roots.items()}
        spent[LOAD_GENERATOR] = _children_seconds() - self._start[LOAD_GENERATOR]
        spent[REST] = max(machine_busy_seconds() - self._start[REST] - sum(spent.values()), 0.0)
        self.micros = {name: seconds * 1e6 / max(requests, 1) for name, seconds in spent.items()}
        return self.micros
