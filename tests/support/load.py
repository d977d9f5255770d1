"""Many people at once against a real server: the load test's and ``bench_load.py``'s harness.

A server runs in child processes on 127.0.0.1, as a deployer runs it:

* ``sqlite`` — ``siapkerja serve --dev`` on the embedded default (a SQLite file
  in a temporary working directory, its key file beside it);
* ``postgresql`` — the same command over PostgreSQL (a throw-away schema,
  migrated on first use);
* ``workers`` — ``siapkerja serve --workers 4`` (uvicorn's multi-process mode)
  factory, the four processes sharing one SQLite file.

Any backend also takes ``workers=N`` (``serve --workers N`` on SQLite or
PostgreSQL), ``redis_url`` (the rate-limit counters in Redis, as several
workers or hosts share them: ``ratelimit = "redis"``) and ``dev=False``
(production mode, as a deployment runs it: a secret key, a storage key from
the environment, a ``card_base_url``, only the offline registry allowed as an
unsafe default) — what ``bench_load.py``'s worker scaling and
``bench_memory.py`` run.

Every scenario uses the real Argon2 parameters of ``serve`` (no hasher is
swapped in), the offline Dukcapil registry with synthetic residents loaded
from a CSV (``dukcapil_residents``), and the ``http`` SMS sender pointed at a
:class:`~support.fake_servers.FakeSmsGateway` in this process, so the codes
every worker sends are read where the driver can see them.

:func:`sign_ups` drives whole sign-ups through the JSON API (step 1, step 2
with contacts and password, the code read from the gateway, confirmation),
all at once; :func:`scans` drives anonymous ``GET /v/<token>`` of one issued
card. Each request's status and time is kept in a :class:`Load`, which
reports rates and percentiles and lists what a test must refuse: 5xx
answers, transport failures and requests slower than a bound.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import csv
import os
import signal
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Literal, TypeVar

import httpx

from siapkerja_adapters.dukcapil_offline import Resident
from siapkerja_adapters.residents import CSV_COLUMNS
from siapkerja_adapters.sql.crypto import generate_key_setting
from support import people
from support.fake_servers import FakeSmsGateway
from support.live_server import bound_socket

__all__ = [
    "Backend",
    "Load",
    "Server",
    "issue_card",
    "run_on_own_loop",
    "scans",
    "sign_ups",
    "write_residents",
]

Backend = Literal["sqlite", "postgresql", "workers"]
T = TypeVar("T")

SRC: Final = Path(__file__).resolve().parents[2] / "src"
PASSWORD: Final = "kopi tubruk di pal merah"
SECRET_KEY: Final = "load-test-secret-" + "k" * 32
WORKERS: Final = 4
# One TLS context for every client (never used on loopback http): making one per client
# loads the CA bundle each time, which cost the driver more than the server's work.
_TLS: Final = ssl.create_default_context()


# --------------------------------------------------------------------------
# People
# --------------------------------------------------------------------------


def write_residents(path: Path, people_: Sequence[Resident]) -> Path:
    """A resident CSV (the ``dukcapil_residents`` format) holding ``people_``."""
    with path.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(CSV_COLUMNS)
        for person in people_:
            writer.writerow(
                [
                    person.nik,
                    person.full_name,
                    person.mother_name,
                    person.birth_place,
                    person.birth_date.isoformat(),
                    person.sex,
                ]
            )
    return path


def phone_of(n: int) -> str:
    return f"0813{n:08d}"


def e164_of(n: int) -> str:
    return f"+62813{n:08d}"


# --------------------------------------------------------------------------
# The server
# --------------------------------------------------------------------------


class Server:
    """A real server in child processes on 127.0.0.1 (see the module docstring).

    :param backend: ``sqlite``, ``postgresql`` or ``workers``.
    :param workdir: the working directory (the SQLite file and its key live there).
    :param population: the residents the offline registry knows.
    :param gateway: the SMS gateway the server sends its codes to.
    :param postgres: ``(url, schema)`` for the ``postgresql`` backend.
    :param src: the source tree the children import (default: this checkout's).
    :param workers: uvicorn worker processes (default: 4 for ``workers``, else 1).
    :param redis_url: keep the rate-limit counters in this Redis (``ratelimit = "redis"``)
        under a prefix of this server's own.
    :param dev: ``serve --dev`` (the default) or production mode (see the module docstring).
    """

    def __init__(
        self,
        backend: Backend,
        workdir: Path,
        population: Sequence[Resident],
        gateway: FakeSmsGateway,
        *,
        postgres: tuple[str, str] | None = None,
        src: Path = SRC,
        extra_env: dict[str, str] | None = None,
        workers: int | None = None,
        redis_url: str | None = None,
        dev: bool = True,
    ) -> None:
        self.backend = backend
        self.postgres = postgres
        self.workers = workers if workers is not None else WORKERS if backend == "workers" else 1
        self.dev = dev
        self.workdir = workdir
        with bound_socket() as probe:
            self.port = probe.getsockname()[1]  # free a moment ago; the server binds it anew
        self.url = f"http://127.0.0.1:{self.port}"
        env = {k: v for k, v in os.environ.items() if not k.startswith("SIAPKERJA_")}
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(src), env.get("PYTHONPATH")]))
        env.update(
            {
                "SIAPKERJA_SECRET_KEY": SECRET_KEY,  # one pepper for every worker
                "SIAPKERJA_DUKCAPIL_RESIDENTS": str(
                    write_residents(workdir / "residents.csv", population)
                ),
                "SIAPKERJA_SMS": "http",
                "SIAPKERJA_SMS_URL": gateway.send_url,
                "SIAPKERJA_SMS_TOKEN": gateway.TOKEN,
                "SIAPKERJA_SMS_MESSAGE_ID_PATH": "data.message_id",
            }
        )
        if backend == "postgresql":
            assert postgres is not None, "the postgresql backend needs (url, schema)"
            url, schema = postgres
            env.update(
                {
                    "SIAPKERJA_DATABASE_URL": url,
                    "SIAPKERJA_DATABASE_SCHEMA": schema,
                    "SIAPKERJA_DATABASE_MIGRATE": "true",
                    "SIAPKERJA_STORAGE_KEY": generate_key_setting(),
                }
            )
        self.redis_prefix: str | None = None
        """With ``redis_url``: the start of every counter key of this server (to purge)."""
        if redis_url is not None:
            # A prefix of this server's own: runs never share a window.
            self.redis_prefix = f"siapkerja-load:{os.urandom(6).hex()}:counter:"
            env.update(
                {
                    "SIAPKERJA_RATELIMIT": "redis",
                    "SIAPKERJA_REDIS_URL": redis_url,
                    "SIAPKERJA_REDIS_PREFIX": self.redis_prefix,
                }
            )
        if not dev:
            env.update(
                {
                    "SIAPKERJA_ALLOW_UNSAFE": "dukcapil",  # the synthetic residents, nothing else
                    "SIAPKERJA_CARD_BASE_URL": f"{self.url}/v/",
                }
            )
            env.setdefault("SIAPKERJA_STORAGE_KEY", generate_key_setting())
        env.update(extra_env or {})
        self.env = env
        self.command = [
            sys.executable,
            "-m",
            "siapkerja_adapters.cli",
            "serve",
            "--dev" if dev else "--no-dev",
            "--port",
            str(self.port),
            "--log-level",
            "warning",
        ]
        if self.workers > 1:
            # What a deployment types: serve's own --workers (uvicorn's multi-process mode).
            self.command += ["--workers", str(self.workers)]
        self.child: subprocess.Popen[bytes] | None = None
        self._log: Any = None

    def prepare(self) -> None:
        """Create the database before the server starts (``siapkerja db upgrade``).

        Only for several workers, as a deployment of several processes does; one
        ``serve`` migrates its database itself on the first request.
        """
        if self.workers == 1:
            return
        subprocess.run(
            [sys.executable, "-m", "siapkerja_adapters.cli", "db", "upgrade"],
            cwd=self.workdir,
            env=self.env,
            check=True,
            capture_output=True,
            timeout=60,
        )

    def start(self, timeout: float = 90.0) -> None:
        self.prepare()
        self._log = (self.workdir / "server.log").open("wb")
        self.child = subprocess.Popen(
            self.command,
            cwd=self.workdir,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=self._log,
            start_new_session=True,  # SIGINT reaches uvicorn's workers through the group
        )
        deadline = time.monotonic() + timeout
        while True:
            try:
                if httpx.get(f"{self.url}/api/v1/openapi.json", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if self.child.poll() is not None:
                raise RuntimeError(f"the server ended at start:\n{self.log()}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"the server did not start in time:\n{self.log()}")
            time.sleep(0.1)

    def pids(self) -> list[int]:
        """The server's processes: ``serve`` and every descendant (uvicorn's workers)."""
        if self.child is None:
            return []
        found, queue = [], [self.child.pid]
        while queue:
            pid = queue.pop()
            found.append(pid)
            with contextlib.suppress(OSError):
                for task in Path(f"/proc/{pid}/task").iterdir():
                    children = (task / "children").read_text().split()
                    queue += [int(child) for child in children]
        return found

    def rss(self) -> int:
        """Resident memory of all :meth:`pids`, in bytes (``VmRSS`` of ``/proc/PID/status``)."""
        total = 0
        for pid in self.pids():
            with contextlib.suppress(OSError):
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1]) * 1024
        return total

    def ledger_entries(self) -> int:
        """Rows of the access ledger (``sk_access_log``) in the server's database, as committed."""
        from sqlalchemy import create_engine, func, select, table

        if self.postgres is not None:
            url, schema = self.postgres
        else:
            url, schema = f"sqlite:///{self.workdir / 'siapkerja.sqlite3'}", None
        engine = create_engine(url)
        try:
            with engine.connect() as connection:
                query = select(func.count()).select_from(table("sk_access_log", schema=schema))
                return int(connection.execute(query).scalar_one())
        finally:
            engine.dispose()

    def log(self) -> str:
        path = self.workdir / "server.log"
        return path.read_text(errors="replace")[-4000:] if path.exists() else ""

    def stop(self, timeout: float = 20.0) -> None:
        child = self.child
        try:
            if child is None or child.poll() is not None:
                return
            with contextlib.suppress(ProcessLookupError):
                os.killpg(child.pid, signal.SIGINT)
            try:
                child.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(child.pid, signal.SIGKILL)
                child.wait(timeout)
        finally:
            if self._log is not None:
                self._log.close()
                self._log = None

    def __enter__(self) -> Server:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()


# --------------------------------------------------------------------------
# Measuring
# --------------------------------------------------------------------------


@dataclass
class Load:
    """What the requests of one phase answered, and how fast."""

    name: str
    concurrency: int
    seconds: float = 0.0
    requests: list[tuple[str, int, float]] = field(default_factory=list)
    """(step, HTTP status or 0 for a transport failure, seconds)."""
    journeys: list[float] = field(default_factory=list)
    """The whole time of each completed unit (a sign-up, or a scan)."""
    failures: list[str] = field(default_factory=list)
    tokens: list[str] = field(default_factory=list)
    """The session tokens of the completed sign-ups."""

    def record(self, step: str, status: int, seconds: float) -> None:
        self.requests.append((step, status, seconds))

    @property
    def completed(self) -> int:
        return len(self.journeys)

    @property
    def rate(self) -> float:
        return self.completed / self.seconds if self.seconds else 0.0

    def percentile(self, q: float, values: Sequence[float] | None = None) -> float:
        data = sorted(self.journeys if values is None else values)
        if not data:
            return float("nan")
        index = min(len(data) - 1, max(0, round(q / 100 * len(data) + 0.5) - 1))
        return data[index]

    def request_percentile(self, q: float) -> float:
        return self.percentile(q, [seconds for _, _, seconds in self.requests])

    def server_errors(self) -> list[tuple[str, int, float]]:
        return [r for r in self.requests if r[1] >= 500 or r[1] == 0]

    def slower_than(self, bound: float) -> list[tuple[str, int, float]]:
        return [r for r in self.requests if r[2] > bound]

    def summary(self) -> dict[str, Any]:
        times = [seconds for _, _, seconds in self.requests]
        return {
            "phase": self.name,
            "concurrency": self.concurrency,
            "completed": self.completed,
            "seconds": round(self.seconds, 3),
            "per_second": round(self.rate, 2),
            "p50_s": round(self.percentile(50), 4),
            "p99_s": round(self.percentile(99), 4),
            "request_p99_s": round(self.percentile(99, times), 4),
            "request_max_s": round(max(times, default=0.0), 4),
            "server_errors": len(self.server_errors()),
            "failures": len(self.failures),
        }

    def problems(self, bound: float) -> list[str]:
        """Everything a load test refuses: 5xx, transport failures, slow requests, failures."""
        errors = self.server_errors()
        found = [f"{step}: HTTP {status} after {s:.2f}s" for step, status, s in errors]
        found += [f"{step}: {s:.2f}s > {bound}s" for step, _, s in self.slower_than(bound)]
        return found + self.failures


async def _timed(
    load: Load, step: str, client: httpx.AsyncClient, method: str, url: str, **kwargs: Any
) -> httpx.Response | None:
    start = time.perf_counter()
    try:
        response = await client.request(method, url, **kwargs)
    except httpx.HTTPError as error:
        load.record(step, 0, time.perf_counter() - start)
        load.failures.append(f"{step}: {type(error).__name__}: {error}")
        return None
    load.record(step, response.status_code, time.perf_counter() - start)
    return response


async def code_for(gateway: FakeSmsGateway, phone_e164: str, timeout: float = 10.0) -> str | None:
    """The six-digit code of the last SMS the gateway took for ``phone_e164`` (waits for it)."""
    import re

    deadline = time.monotonic() + timeout
    while True:
        for delivered in reversed(list(gateway.delivered)):
            if delivered.body.get("to") == phone_e164:
                found = re.findall(r"(?<!\d)\d{6}(?!\d)", delivered.body.get("text", ""))
                if found:
                    return str(found[0])
        if time.monotonic() > deadline:
            return None
        await asyncio.sleep(0.02)


async def _sign_up(
    load: Load,
    url: str,
    gateway: FakeSmsGateway,
    person: Resident,
    n: int,
    start_gate: asyncio.Event,
) -> str | None:
    async with _client(url) as client:
        await start_gate.wait()
        return await _sign_up_steps(load, client, gateway, person, n)


async def _sign_up_steps(
    load: Load, client: httpx.AsyncClient, gateway: FakeSmsGateway, person: Resident, n: int
) -> str | None:
    """One whole sign-up; the session token, or ``None`` (and a failure noted)."""
    began = time.perf_counter()
    started = await _timed(
        load,
        "register",
        client,
        "POST",
        "/api/v1/registrations",
        json={"nik": person.nik, "full_name": person.full_name, "mother_name": person.mother_name},
    )
    if started is None or started.status_code != 201:
        load.failures.append(f"register {n}: {None if started is None else started.text[:200]}")
        return None
    registration = started.json()["id"]
    # Step 1 may answer a secret that every later call on the registration carries.
    secret = started.json().get("secret")
    headers = {"X-Registration-Secret": secret} if secret else {}
    contact = await _timed(
        load,
        "contact",
        client,
        "POST",
        f"/api/v1/registrations/{registration}/contact",
        json={"email": f"peserta.{n}@example.com", "phone": phone_of(n), "password": PASSWORD},
        headers=headers,
    )
    if contact is None or contact.status_code >= 300:
        load.failures.append(f"contact {n}: {None if contact is None else contact.text[:200]}")
        return None
    code = await code_for(gateway, e164_of(n))
    if code is None:
        load.failures.append(f"sms {n}: no code reached the gateway")
        return None
    confirmed = await _timed(
        load,
        "confirm",
        client,
        "POST",
        f"/api/v1/registrations/{registration}/otp/confirm",
        json={"code": code},
        headers=headers,
    )
    if confirmed is None or confirmed.status_code != 201:
        load.failures.append(f"confirm {n}: {None if confirmed is None else confirmed.text[:200]}")
        return None
    load.journeys.append(time.perf_counter() - began)
    token = str(confirmed.json()["session"]["token"])
    load.tokens.append(token)
    return token


def run_on_own_loop(make: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run the coroutine ``make()`` on an event loop of its own, in a thread of its own.

    Not ``asyncio.run`` in the caller's thread: a test session may hold an
    event loop running there (Playwright's sync API does, for the e2e tests).
    """
    outcome: list[Any] = []

    def target() -> None:
        try:
            outcome.append((True, asyncio.run(make())))
        except BaseException as error:  # handed to the caller
            outcome.append((False, error))

    thread = threading.Thread(target=target, name="load-driver")
    thread.start()
    thread.join()
    ok, value = outcome[0]
    if not ok:
        raise value
    return value  # type: ignore[no-any-return]


def _client(url: str) -> httpx.AsyncClient:
    """The client of one person: its own connection, as a phone has.

    One client per person rather than one shared pool of 64: httpx's shared
    pool, not the server, was the bottleneck at 64 connections (a bare
    Starlette page answered at a p99 of 5 s through it).
    """
    return httpx.AsyncClient(base_url=url, timeout=60, verify=_TLS)


async def _sign_ups(
    url: str,
    gateway: FakeSmsGateway,
    population: Sequence[tuple[int, Resident]],
    name: str,
    scan_url: str | None,
) -> tuple[Load, Load | None]:
    load = Load(name, len(population))
    probe = None if scan_url is None else Load(f"{name}: scans meanwhile", 1)
    gate = asyncio.Event()
    tasks = [
        asyncio.create_task(_sign_up(load, url, gateway, person, n, gate))
        for n, person in population
    ]
    done = asyncio.Event()

    async def scan_meanwhile() -> None:
        assert probe is not None
        assert scan_url is not None
        async with _client(url) as client:
            await gate.wait()
            while not done.is_set():
                began = time.perf_counter()
                response = await _timed(probe, "scan", client, "GET", scan_url)
                if response is not None and response.status_code == 200:
                    probe.journeys.append(time.perf_counter() - began)
                elif response is not None:
                    probe.failures.append(f"scan: HTTP {response.status_code}")
                await asyncio.sleep(0.05)

    scanning = asyncio.create_task(scan_meanwhile()) if probe is not None else None
    await asyncio.sleep(0)  # every client made before the start
    start = time.perf_counter()
    gate.set()
    await asyncio.gather(*tasks)
    load.seconds = time.perf_counter() - start
    done.set()
    if scanning is not None:
        await scanning
        probe.seconds = load.seconds  # type: ignore[union-attr]
    return load, probe


def sign_ups(
    url: str,
    gateway: FakeSmsGateway,
    population: Sequence[tuple[int, Resident]],
    *,
    name: str = "sign-ups",
    scan_url: str | None = None,
) -> tuple[Load, Load | None]:
    """All of ``population`` (numbered people) sign up at once; with ``scan_url``, a scanner
    opens that card over and over meanwhile (its own :class:`Load`)."""
    return run_on_own_loop(lambda: _sign_ups(url, gateway, population, name, scan_url))


async def _scans(url: str, path: str, concurrency: int, per_client: int, name: str) -> Load:
    load = Load(name, concurrency)
    gate = asyncio.Event()

    async def scanner() -> None:
        async with _client(url) as client:  # each scanner a phone of its own
            await gate.wait()
            for _ in range(per_client):
                began = time.perf_counter()
                response = await _timed(load, "scan", client, "GET", path)
                if response is not None and response.status_code == 200:
                    load.journeys.append(time.perf_counter() - began)
                elif response is not None:
                    load.failures.append(f"scan: HTTP {response.status_code}")

    tasks = [asyncio.create_task(scanner()) for _ in range(concurrency)]
    await asyncio.sleep(0)
    start = time.perf_counter()
    gate.set()
    await asyncio.gather(*tasks)
    load.seconds = time.perf_counter() - start
    return load


def scans(
    url: str, path: str, *, concurrency: int = 64, per_client: int = 10, name: str = "scans"
) -> Load:
    """``concurrency`` anonymous scanners each open ``path`` ``per_client`` times, all at once."""
    return run_on_own_loop(lambda: _scans(url, path, concurrency, per_client, name))


def issue_card(url: str, token: str) -> str:
    """Complete the profile of the session's holder, issue the card; its scan path (``/v/…``)."""
    auth = {"Authorization": f"Bearer {token}"}
    sections = {
        **people.complete_profile(),
        "photo": {"content": base64.b64encode(people.png()).decode(), "media_type": "image/png"},
    }
    with httpx.Client(base_url=f"{url}/api", timeout=30) as api:
        profile = api.patch("/v1/me/profile", json=sections, headers=auth)
        assert profile.status_code == 200, profile.text
        issued = api.post("/v1/me/card", headers=auth)
        assert issued.status_code == 201, issued.text
        qr = api.get("/v1/me/card/qr", headers=auth).json()
    assert qr["url"].startswith(f"{url}/v/"), qr["url"]
    return str(qr["url"][len(url) :])
