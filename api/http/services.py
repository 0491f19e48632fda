"""What a server process holds open: the ledger and its one writer, the read models kept current by
a follower thread, the token, applicant, enrolment and file stores — opened the way the command
line opens them (api/bootstrap.py). Built once by `create_app`.
"""

from __future__ import annotations

import logging
import tempfile
import threading
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from api import bootstrap
from api.http.stamper import Stamper
from api.http.writer import Writer
from api.settings import Settings
from ledger.clock import Clock
from ledger.errors import ReadOnly
from ledger.reference.calendar import load_calendar
from ledger.stores.codes import CodeStore
from ledger.stores.database import refuses_writes
from ledger.stores.files import Quota
from ledger.stores.ratings import RatingStore
from ledger.stores.timestamps import TimestampStore
from ledger.stores.tokens import RecentTokens
from ledger.timestamping import TimestampClient, load_roots, verify_token
from ledger.views.projector import Projector
from ledger.views.sla import Inspector

log = logging.getLogger("lienthong.api")


class Services:
    def __init__(self, settings: Settings, clock: Clock | None = None) -> None:
        self.settings = settings
        url = settings.ledger.database_url
        # read first, as the other settings are: a bad path stops the server before it starts
        self._tsa_roots = (
            load_roots(settings.ledger.tsa_roots) if settings.ledger.tsa_roots else None
        )
        data_key = bootstrap.load_data_key(settings.data_key_file)
        self.read_only = settings.read_only
        # on a replica the views are checked first: no views, no ledger this server can read
        view = bootstrap.replica_views(settings.ledger) if self.read_only else None
        try:
            self.ledger = bootstrap.open_ledger(
                settings.ledger, clock=clock, read_only=self.read_only
            )
        except Exception as problem:
            if not self.read_only and refuses_writes(problem):
                raise ReadOnly(
                    "the database refuses writes (a replica, or a read-only role): serve it "
                    "with --read-only (LIENTHONG_READ_ONLY=1), or point this server at the "
                    "primary"
                ) from problem
            raise
        self.clock = self.ledger.clock
        self.projector = bootstrap.open_projector(self.ledger, view)
        self.calendar = load_calendar()
        self.tokens = bootstrap.open_tokens(url, read_only=self.read_only)
        self.tokens_seen = RecentTokens(self.tokens)  # a revoked token stops within 2 s
        self.applicants = bootstrap.open_applicants(url, data_key, read_only=self.read_only)
        self.enrolments = bootstrap.open_enrolments(url, read_only=self.read_only)
        self.ratings = RatingStore(url, read_only=self.read_only)
        self.codes = CodeStore(url, read_only=self.read_only)  # the dossier codes it makes
        self._scratch: tempfile.TemporaryDirectory[str] | None = None
        scratch = None
        if bootstrap.files_directory(url, settings.files_dir) is None and url.startswith("memory:"):
            # tests: files die with the process
            self._scratch = tempfile.TemporaryDirectory(prefix="lienthong-files-")
            scratch = Path(self._scratch.name)
        self.files = bootstrap.open_files(
            url,
            data_key,
            files_dir=settings.files_dir,
            directory=scratch,
            ledger=self.ledger,
            max_bytes=settings.max_file_bytes,
            quota=Quota(settings.pending_files, settings.pending_bytes, settings.pending_hours),
            read_only=self.read_only,
        )
        # the tokens kept, read for bundles and the verify page whenever a TSA is (or was)
        # configured: on a replica, or with the TSA switched off, those in the database stay
        self.timestamps = (
            TimestampStore(url, read_only=self.read_only)
            if settings.ledger.tsa_url or settings.ledger.tsa_roots
            else None
        )
        self.stamper = self._stamper()
        self.writer = Writer(
            self.ledger,
            settings.max_batch,
            on_recorded=self.stamper.offer if self.stamper is not None else None,
        )
        self._stop = threading.Event()
        self._follower: threading.Thread | None = None

    def _stamper(self) -> Stamper | None:
        """The RFC 3161 stamper of certificate statements, when a TSA is configured (primary)."""
        tsa_url = self.ledger.settings.tsa_url
        if not tsa_url or self.read_only or self.timestamps is None or not self._tsa_roots:
            return None  # a TSA URL needs its roots (ledger/config.py)
        client = TimestampClient(tsa_url, roots=self._tsa_roots)
        return Stamper(self.ledger, self.timestamps, client)

    def token_checker(self) -> Callable[[bytes, bytes], datetime] | None:
        """What checks an RFC 3161 token offline against the TSA's roots, when they are set."""
        roots = self._tsa_roots
        if roots is None:
            return None
        return lambda token, signature: verify_token(token, signature, roots)

    def timestamp_tokens(self, digests: list[bytes]) -> dict[bytes, bytes]:
        """The RFC 3161 tokens kept for these statement hashes (none when no TSA is configured,
        nor its roots)."""
        if self.timestamps is None:
            return {}
        return {digest: kept.token for digest, kept in self.timestamps.get_many(digests).items()}

    def start(self) -> None:
        """Start the writer and the follower that keeps the read models current; a read-only
        server starts neither."""
        if self.read_only:
            return
        self.clean_files()
        if self.stamper is not None:
            self.stamper.start()
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
        return bootstrap.open_inspector(
            self.ledger,
            self.projector,
            unacknowledged_hours=self.settings.unacknowledged_hours,
            calendar=self.calendar,
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
        if self.stamper is not None:
            self.stamper.stop()
        if self._follower is not None:
            self._follower.join(timeout=10)
        for closing in (self.projector, self.tokens, self.applicants, self.files, self.enrolments):
            closing.close()
        self.ratings.close()
        self.codes.close()
        if self.timestamps is not None and self.stamper is None:
            self.timestamps.close()  # a stamper closes it (once its thread is done with it)
        if self._scratch is not None:
            self._scratch.cleanup()
        self.ledger.close()
