"""What ``siapkerja demo --dir`` builds, ``siapkerja serve`` serves: the printed command works.

The demo runs as a person runs it (the console script, in a subprocess, on
the embedded default); the test then runs the ``serve`` command exactly as
the demo printed it, on a free port given to the demo with ``--port``, and
opens the scanned-card URL the demo printed: the holder's public profile
answers, from the demo's database, with the demo's keys.
"""

from __future__ import annotations

import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

SCRIPT = Path(sys.executable).with_name("siapkerja")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def environment(home: Path) -> dict[str, str]:
    """This environment without any siapkerja setting, and a HOME of the test's own."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SIAPKERJA_")}
    env.update(HOME=str(home), XDG_CONFIG_HOME=str(home / ".config"), COLUMNS="100")
    return env


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str, list[str]]]:
    """(the scan URL the demo printed, the demo's output, the serve command it printed)."""
    tmp_path = tmp_path_factory.mktemp("demo-serve")
    if not SCRIPT.is_file():
        pytest.skip("the siapkerja console script is not installed beside this Python")
    port = free_port()
    env = environment(tmp_path)
    demo = subprocess.run(
        [str(SCRIPT), "demo", "--dir", str(tmp_path / "demo"), "--port", str(port)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert demo.returncode == 0, demo.stderr + demo.stdout
    output = demo.stdout
    commands = [line.strip() for line in output.splitlines() if " serve --dev " in line]
    assert len(commands) == 1, output
    command = shlex.split(commands[0])
    assert command[0] == str(SCRIPT)  # the program as the user started it: it pastes
    assert command[1:] == [
        "serve",
        "--dev",
        "--port",
        str(port),
        "--config",
        str(tmp_path / "demo" / "siapkerja.toml"),
    ]
    scans = re.findall(rf"http://127\.0\.0\.1:{port}/v/[A-Z0-9-]+", output)
    assert scans, output
    log = tmp_path / "serve.log"
    with log.open("w", encoding="utf-8") as sink:
        server = subprocess.Popen(
            command, cwd=tmp_path, env=env, stdout=sink, stderr=subprocess.STDOUT
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, log.read_text(encoding="utf-8")
            try:
                httpx.get(f"http://127.0.0.1:{port}/", timeout=2)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "siapkerja serve did not start"
                time.sleep(0.2)
        yield scans[-1], output, command
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(5)


def test_the_printed_serve_command_opens_the_demos_card(
    served: tuple[str, str, list[str]],
) -> None:
    scan_url, output, _command = served
    page = httpx.get(scan_url, timeout=30)
    assert page.status_code == 200, page.text[:500]
    # The holder's public profile (the brief's scanned page): headline, skills, education.
    for shown in ("IT Professional", "Symfony", "BINUS University"):
        assert shown in page.text
    number = re.search(r"Kartu (SK-[A-Z0-9-]+) terbit pada", output)
    assert number is not None
    # The QR printed before the renewal is refused; the one printed last is the card's.
    first = re.search(r"membuka (http://\S+/v/[A-Z0-9-]+)", output)
    assert first is not None
    assert first.group(1) != scan_url


def test_the_holder_signs_in_on_the_served_site(served: tuple[str, str, list[str]]) -> None:
    scan_url, output, _command = served
    site = scan_url.split("/v/")[0]
    found = re.search(r'Masuk dengan NIK (\d{16}) dan kata sandi "([^"]+)"', output)
    assert found, output
    with httpx.Client(base_url=site, follow_redirects=True, timeout=30) as client:
        page = client.get("/")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert token
        page = client.post(
            "/",
            data={
                "csrf_token": token.group(1),
                "identifier": found.group(1),
                "password": found.group(2),
            },
        )
        assert page.status_code == 200
        assert "Galih" in page.text
        assert page.url.path != "/"
