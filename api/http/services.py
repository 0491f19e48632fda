"""What a server process holds open: the ledger and its one writer, the read models kept current by
a follower thread, the token and applicant stores. Built once by `create_app`.
"""

from __future__ import annotations

import logging
import tempfile
import threading
from dataclasses import replace
from pathlib import Path

from api.http.writer import Writer
from api.settings import Settings, files_directory
from ledger.application import Ledger
from ledger.clock import Clock
from ledger.errors import ReadOnly
from ledger.reference.calendar import load_calendar
from ledger.stores.applicants import ApplicantStore, DataKey
from ledger.stores.database import refuses_writes
from ledger.stores.enrolments import EnrolmentStore
from ledger.stores.files import FileStore, Quota, named_in
from ledger.stores.tokens import RecentTokens, TokenStore
from ledger.views.projector import Projector, ViewStore
from ledger.views.sla import Inspector

log = logging.getLogger("lienthong.api")


class Services:
    def __init__(self, settings: Settings, clock: Clock | None = None) -> None:
        self.settings = settings
        url = settings.ledger.database_url
        data_key = DataKey.load(Path(settings.data_key_file))
        self.read_only = settings.read_only
        # on a replica the views are checked first: no views, no ledger this server can read
        view = ViewStore(url, read_only=True) if self.read_only else None
        if self.read_only:  # a replica: no tables created, no checkpoints issued
            ledger_settings = replace(settings.ledger, log_key_file="")
            self.ledger = Ledger(ledger_settings, clock=clock, env={"CREATE_TABLE": "n"})
        else:
            try:
                self.ledger = Ledger(settings.ledger, clock=clock)
            except Exception as problem:
                if refuses_writes(problem):
                    raise ReadOnly(
                        "the database refuses writes (a replica, or a read-only role): serve it "
                        "with --read-only (LIENTHONG_READ_ONLY=1), or point this server at the "
                        "primary"
                    ) from problem
                raise
        self.clock = self.ledger.clock
        self.projector = Projector(self.ledger, view)
        self.calendar = load_calendar()
        self.tokens = TokenStore(url, read_only=self.read_only)
        self.tokens_seen = RecentTokens(self.tokens)  # a revoked token stops within 2 s
        self.applicants = ApplicantStore(url, data_key, read_only=self.read_only)
        self.enrolments = EnrolmentStore(url, read_only=self.read_only)
        directory = files_directory(settings)
        self._scratch: tempfile.TemporaryDirectory[str] | None = None
        if directory is None and url.startswith("memory:"):  # tests: files die with the process
            self._scratch = tempfile.TemporaryDirectory(prefix="lienthong-files-")
            directory = Path(self._scratch.name)
        self.files = FileStore(
            url,
            data_key,
            directory=directory,
            max_bytes=settings.max_file_bytes,
            quota=Quota(settings.pending_files, settings.pending_bytes, settings.pending_hours),
            named=named_in(self.ledger),
            read_only=self.read_only,
        )
        self.writer = Writer(self.ledger, settings.max_batch)
        self._stop = threading.Event()
        self._follower: threading.Thread | None = None

    def start(self) -> None:
        """Start the writer and the follower that keeps the read models current; a read-only
        server starts neither."""
        if self.read_only:
            return
        self.clean_files()
        self.writer.start()
        self._follower = threading.Thread(target=self._follow, name="lienthong-views", daemon=True)
        self._follower.start()

    def clean_files(self) -> None:
        """Remove what a crash left in the file store, and the uploads past their time that no
        statement names; say so in the log. A failure is logged: reads are served anyway."""
        try:
            cleaned = self.files.clean(self.clock.now())
        except Exception:
            log.exception("the file store could not be cleaned; `lienthong files clean` can")
            return
        if cleaned:
            log.info("file store: %s", cleaned.summary())

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

    def writable(self) -> None:
        """Refuse (ReadOnly) on a read-only server, before anything is prepared or stored."""
        if self.read_only:
            raise ReadOnly(
                "this server reads a replica and records nothing: send statements and erasures "
                "to the primary server"
            )

    def close(self) -> None:
        self._stop.set()
        self.writer.stop()
        if self._follower is not None:
            self._follower.join(timeout=10)
        for closing in (self.projector, self.tokens, self.applicants, self.files, self.enrolments):
            closing.close()
        if self._scratch is not None:
            self._scratch.cleanup()
        self.ledger.close()
