"""Production's shape on one machine: two web processes (gunicorn), two
Celery workers and two beats, all real processes against one database and one
broker (the test database and the configured broker: SQLite and the
filesystem transport by default, PostgreSQL and Redis in CI), as separate
machines would run them. A person signs in on one web process and is known on
the other; API calls answer on both; a period close fanned out to both workers
produces every report exactly once; and of the two beats only the lease holder
publishes, so each tick of a schedule runs once, not twice."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
import requests
from django.conf import settings
from django.db import transaction
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from tests.conftest import ROOT, _database_url

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

LEASE = 4  # seconds, for the beats under test (30 in production)
TICK = 2  # seconds between runs of the schedule under test
PASSWORD = "correct horse battery"  # accounts/tests/factories.py


class Process:
    """One process of the installation, in its own process group, logging to a file."""

    def __init__(self, name: str, command: list[str], logs: Path, **env: str) -> None:
        self.name, self.log = name, logs / f"{name}.log"
        environment = {**os.environ, "DATABASE_URL": _database_url(), "COVENANT_TESTING": "1", **env}
        with self.log.open("wb") as out:
            self.proc = subprocess.Popen(
                command, cwd=ROOT, env=environment, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )

    def text(self) -> str:
        return self.log.read_text(errors="replace")

    def alive(self) -> None:
        assert self.proc.poll() is None, f"{self.name} exited ({self.proc.returncode}):\n{self.text()[-3000:]}"

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def web(name: str, logs: Path) -> tuple[Process, str]:
    port = free_port()
    command = [sys.executable, "-m", "gunicorn", "config.wsgi:application", "--workers", "1"]
    command += ["--bind", f"127.0.0.1:{port}", "--log-level", "warning"]
    return Process(name, command, logs, DJANGO_ALLOWED_HOSTS="127.0.0.1"), f"http://127.0.0.1:{port}"


def worker(name: str, logs: Path) -> Process:
    command = [sys.executable, "-m", "celery", "-A", "config", "worker", "--concurrency=1", "--loglevel=INFO"]
    command += ["-n", f"{name}@%h", "--without-gossip", "--without-mingle", "-Q", ",".join(settings.CELERY_QUEUE_NAMES)]
    return Process(name, command, logs)


def beat(name: str, logs: Path) -> Process:
    command = [sys.executable, "-m", "celery", "-A", "config", "beat", "--loglevel=INFO", "--max-interval=1"]
    command += ["--schedule", str(logs / f"{name}.schedule")]
    return Process(name, command, logs, COVENANT_BEAT_LEASE_SECONDS=str(LEASE))


def wait_for(what: str, done: Callable[[], bool], processes: list[Process], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not done():
        for p in processes:
            p.alive()
        if time.monotonic() > deadline:
            tails = "\n".join(f"--- {p.name}\n{p.text()[-1500:]}" for p in processes)
            pytest.fail(f"{what} did not happen within {timeout} s\n{tails}")
        time.sleep(0.2)


def answers(url: str) -> bool:
    try:
        return requests.get(f"{url}/accounts/login/", timeout=5).status_code == 200
    except requests.RequestException:  # not listening yet, or still loading the application
        return False


def behind_proxy(url: str) -> dict[str, str]:
    return {"X-Forwarded-Proto": "https", "Origin": url.replace("http://", "https://")}


def sends(beat_process: Process) -> int:
    return beat_process.text().count("Sending due task tick (outbox.tasks.flush_outbox)")


def received(workers: list[Process], task: str) -> Counter[str]:
    """Task ids each received by any worker: a duplicate delivery counts twice."""
    ids: Counter[str] = Counter()
    for w in workers:
        ids.update(re.findall(rf"Task {re.escape(task)}\[([0-9a-f-]+)\] received", w.text()))
    return ids


def succeeded(workers: list[Process], task: str) -> list[str]:
    pattern = rf"Task {re.escape(task)}\[[0-9a-f-]+\] succeeded in [0-9.e-]+s: (.*)"
    return [result for w in workers for result in re.findall(pattern, w.text())]


def test_two_web_two_workers_two_beats_one_database_one_broker(tmp_path, buyer_org, vendor_org, buyer, vendor):
    from config.celery import app
    from contracts.tests.factories import make_contract
    from outbox import beat as leader
    from outbox.models import Lease
    from outbox.services import enqueue
    from reports.models import PeriodClose, ServiceReport
    from reports.services.reports import _period, close_row
    from reports.tests.factories import add_outage, at, downtime_for

    contracts = [make_contract(buyer=buyer_org, vendor=vendor_org, reference=f"C-{n}") for n in range(1, 4)]
    add_outage(contracts[0], start=at(10), minutes=downtime_for("98.5"))
    every = IntervalSchedule.objects.create(every=TICK, period=IntervalSchedule.SECONDS)
    PeriodicTask.objects.create(name="tick", task="outbox.tasks.flush_outbox", interval=every)
    app.control.purge()

    (web_a, url_a), (web_b, url_b) = web("web-a", tmp_path), web("web-b", tmp_path)
    workers = [worker("worker-a", tmp_path), worker("worker-b", tmp_path)]
    beats = [beat("beat-a", tmp_path), beat("beat-b", tmp_path)]
    beats_started = time.monotonic()
    everyone = [web_a, web_b, *workers, *beats]
    try:
        wait_for("both web processes to answer", lambda: answers(url_a) and answers(url_b), everyone)
        wait_for("both workers to be ready", lambda: all(" ready." in w.text() for w in workers), everyone)

        # Sign in on one web process; the session (in the database) is good on the other. Production speaks
        # HTTPS through a proxy that says so (X-Forwarded-Proto): the cookies are Secure, so they are sent here
        # by hand over plain HTTP.
        form = requests.get(f"{url_a}/accounts/login/", headers=behind_proxy(url_a), timeout=10)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text)
        assert token, form.text[:500]
        signed_in = requests.post(
            f"{url_a}/accounts/login/",
            data={"login": buyer.username, "password": PASSWORD, "csrfmiddlewaretoken": token.group(1)},
            headers=behind_proxy(url_a),
            cookies={"csrftoken": form.cookies["csrftoken"]},
            allow_redirects=False,
            timeout=10,
        )
        assert signed_in.status_code == 302, signed_in.text[:500]
        cookies = {"sessionid": signed_in.cookies["sessionid"]}
        for url in (url_a, url_b):
            me = requests.get(f"{url}/api/me/", headers=behind_proxy(url), cookies=cookies, timeout=10)
            assert me.status_code == 200, me.text[:500]
            assert me.json()["username"] == buyer.username
            listed = requests.get(f"{url}/api/contracts/", headers=behind_proxy(url), cookies=cookies, timeout=10)
            assert listed.status_code == 200, listed.text[:500]
            assert {"C-1", "C-2", "C-3"} <= {c["reference"] for c in listed.json()["results"]}
        assert requests.get(f"{url_b}/api/me/", headers=behind_proxy(url_b), timeout=10).status_code in (401, 403)

        # The period close fans out, one task per contract, to whichever worker takes it.
        with transaction.atomic():
            rows = [close_row(c, _period(c, "2026-10")) for c in contracts]
            for row in rows:
                enqueue("reports.tasks.close_contract_period", row.pk)
        closes = PeriodClose.objects.filter(pk__in=[r.pk for r in rows])
        wait_for(
            "every close to be delivered",
            lambda: closes.filter(state=PeriodClose.State.DELIVERED).count() == len(rows),
            everyone,
            timeout=90,
        )
        for c in contracts:
            report = ServiceReport.objects.get(contract=c, period="2026-10")  # exactly one
            assert report.revision == 1 and report.pdf_sha256
        assert sorted(succeeded(workers, "reports.tasks.close_contract_period")) == ["'delivered'"] * len(rows)
        assert sum(received(workers, "reports.tasks.close_contract_period").values()) == len(rows)

        # Two beats: one holds the lease and publishes; the other stands by and publishes nothing.
        wait_for("a beat to take the lease", lambda: Lease.objects.filter(name=leader.LEASE_NAME).exists(), everyone)
        wait_for("a few ticks", lambda: sum(sends(b) for b in beats) >= 3, everyone, timeout=30)
        holder_pid = int(Lease.objects.get(name=leader.LEASE_NAME).holder.split(":")[1])
        publisher, standby = beats if beats[0].proc.pid == holder_pid else beats[::-1]
        assert publisher.proc.pid == holder_pid
        time.sleep(3 * TICK)
        standby.stop()  # first: stopping the leader first hands the lease over (outbox/beat.py releases it)
        publisher.stop()
        window = time.monotonic() - beats_started
        assert sends(standby) == 0, standby.text()[-2000:]
        published = sends(publisher)
        # One message per tick: no more than the seconds the beats ran allow (two publishers would send double).
        assert 3 <= published <= window / TICK + 2
        tick = "outbox.tasks.flush_outbox"
        wait_for("every tick to run", lambda: len(received(workers, tick)) >= published, [web_a, web_b, *workers])
        runs = received(workers, tick)
        assert len(runs) == published and set(runs.values()) == {1}, runs
        assert len(succeeded(workers, tick)) == published
    finally:
        for p in everyone:
            p.stop()
