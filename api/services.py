"""What a server process holds open: the ledger and its one writer, the read models kept current by
a follower thread, the token and applicant stores. Built once by `create_app`.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from api.settings import Settings
from api.tokens import RecentTokens, TokenStore
from api.writer import Writer
from ledger.applicants import ApplicantStore, DataKey
from ledger.application import Ledger
from ledger.calendar_data import load_calendar
from ledger.clock import Clock
from ledger.projections import Projector
from ledger.sla import Inspector

log = logging.getLogger("lienthong.api")


class Services:
    def __init__(self, settings: Settings, clock: Clock | None = None) -> None:
        self.settings = settings
        url = settings.ledger.database_url
        data_key = DataKey.load(Path(settings.data_key_file))
        self.ledger = Ledger(settings.ledger, clock=clock)
        self.clock = self.ledger.clock
        self.projector = Projector(self.ledger)
        self.calendar = load_calendar()
        self.tokens = TokenStore(url)
        self.tokens_seen = RecentTokens(self.tokens)  # a revoked token stops within 2 s
        self.applicants = ApplicantStore(url, data_key)
        self.writer = Writer(self.ledger, settings.max_batch)
        self._stop = threading.Event()
        self._follower: threading.Thread | None = None

    def start(self) -> None:
        """Start the writer and the follower that keeps the read models current."""
        self.writer.start()
        self._follower = threading.Thread(target=self._follow, name="lienthong-views", daemon=True)
        self._follower.start()

    def _follow(self) -> None:
        """Keep the views warm: every read catches them up first anyway, so this only spares
        reads the wait. A timer, not LISTEN/NOTIFY: under a stream of writes one catch-up per
        interval applies many entries per transaction instead of a few per notification."""
        while not self._stop.wait(self.settings.views_poll_seconds):
            try:
                self.projector.catch_up()
            except Exception:
                log.exception("the read models could not catch up; reads will try again")

    def inspector(self) -> Inspector:
        """A fresh inspector (it caches the registry for its own lifetime: one request)."""
        self.projector.catch_up()
        return Inspector(
            self.ledger, self.projector, self.calendar, self.settings.unacknowledged_hours
        )

    def views(self) -> Projector:
        """The read models, caught up with the log (read-your-writes for this process)."""
        self.projector.catch_up()
        return self.projector

    def close(self) -> None:
        self._stop.set()
        self.writer.stop()
        if self._follower is not None:
            self._follower.join(timeout=10)
        for closing in (self.projector, self.tokens, self.applicants):
            closing.close()
        self.ledger.close()
