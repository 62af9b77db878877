"""The scheduler: APScheduler in this process, acting only while it holds the single-scheduler lock.

``flask ledger scheduler`` runs it in the foreground; ``LEDGER_SCHEDULER=embedded`` runs it in a
background thread of the web process. Every process that runs it competes for the lock; the one that
holds it runs the jobs, the others wait and take over when it goes away. Job stores are in memory and
never shared: what is owed is read from the database, so a new leader simply catches up.
"""
from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from flask import Flask

from ledger.core.db import db, unit_of_work
from ledger.scheduler.jobs import Job, job_table, mark_interrupted, run_job
from ledger.scheduler.lock import SchedulerLock

log = logging.getLogger(__name__)
JOB_DEFAULTS = {"coalesce": True, "max_instances": 1, "misfire_grace_time": 3600}


class SchedulerService:
    def __init__(self, app: Flask, check_every: float = 15.0) -> None:
        self.app = app
        self.lock = SchedulerLock(app)
        self.check_every = check_every
        self.scheduler: BackgroundScheduler | None = None
        self.stopping = threading.Event()

    def _wrap(self, job: Job):
        def run() -> None:
            with self.app.app_context():
                if not self.lock.held():
                    log.warning("skipping %s: this process no longer holds the scheduler lock", job.name)
                    return
                from ledger.core import clock

                try:
                    run_job(job, clock.now(), "scheduler")
                finally:
                    db.session.remove()
        return run

    def _start_scheduler(self) -> None:
        with self.app.app_context():
            with unit_of_work():
                interrupted = mark_interrupted()
            db.session.remove()
        if interrupted:
            log.warning("%s job run(s) of a killed process marked interrupted", interrupted)
        scheduler = BackgroundScheduler(executors={"default": ThreadPoolExecutor(1)}, job_defaults=JOB_DEFAULTS,
                                        timezone=self.app.config["LEDGER_TIMEZONE"])
        now = datetime.now(UTC)
        for job in job_table(self.app):
            # first run at once: catch up whatever was owed while no scheduler ran
            scheduler.add_job(self._wrap(job), job.trigger, id=job.name, name=job.title, next_run_time=now)
        scheduler.start()
        self.scheduler = scheduler
        log.info("scheduler started (this process holds the lock)")

    def _stop_scheduler(self) -> None:
        if self.scheduler is not None:
            self.scheduler.shutdown(wait=True)
            self.scheduler = None

    def step(self) -> bool:
        """Take the lock if free, start or stop the jobs accordingly; True while this process leads."""
        if self.lock.acquire():
            if self.scheduler is None:
                self._start_scheduler()
            return True
        if self.scheduler is not None:
            log.warning("scheduler lock lost: stopping jobs")
            self._stop_scheduler()
        return False

    def run_forever(self) -> None:
        log.info("scheduler waiting for the lock")
        try:
            while not self.stopping.is_set():
                self.step()
                self.stopping.wait(self.check_every)
        finally:
            self._stop_scheduler()
            self.lock.release()
            log.info("scheduler stopped")

    def stop(self) -> None:
        self.stopping.set()


_embedded: dict[int, SchedulerService] = {}


def start_embedded(app: Flask) -> SchedulerService:
    """Run the scheduler in a daemon thread of this (serving) process, once per process."""
    import atexit
    import os

    pid = os.getpid()
    if pid not in _embedded:
        service = SchedulerService(app)
        _embedded[pid] = service
        threading.Thread(target=service.run_forever, name="ledger-scheduler", daemon=True).start()
        atexit.register(service.stop)
    return _embedded[pid]


def should_embed(app: Flask) -> bool:
    """LEDGER_SCHEDULER=embedded, not testing, and this is the process that serves requests.

    Under the ``flask`` command only ``flask run`` serves, and with the reloader only its child
    (WERKZEUG_RUN_MAIN) does; other commands (db upgrade, run-jobs …) never start it. A WSGI server
    (gunicorn) imports the app in each worker: each competes for the lock, one runs the jobs.
    """
    import os
    import sys

    if app.testing or app.config.get("LEDGER_SCHEDULER") != "embedded":
        return False
    if os.environ.get("FLASK_RUN_FROM_CLI") == "true":
        args = sys.argv[1:]
        if "run" not in args:
            return False
        reloading = ("--reload" in args or app.debug) and "--no-reload" not in args
        return not reloading or os.environ.get("WERKZEUG_RUN_MAIN") == "true"
    return True
