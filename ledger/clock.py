"""The ledger's clock, injected: the system clock in service, a simulated one in tests and demos."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Protocol

from domain.instant import MICROS


class Clock(Protocol):
    def now(self) -> int:
        """Microseconds since the Unix epoch, UTC."""
        ...


class SystemClock:
    def now(self) -> int:
        return time.time_ns() // 1000


@dataclass
class SimulatedClock:
    """A clock that moves only when told: years of history can be recorded in minutes."""

    current: int

    def now(self) -> int:
        return self.current

    def set(self, at: int) -> None:
        if at < self.current:
            raise ValueError("a simulated clock never runs backwards")
        self.current = at

    def advance(self, seconds: float) -> int:
        self.current += int(seconds * MICROS)
        return self.current
