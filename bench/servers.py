"""The servers bench/load.py measures: one `streamlit run app.py` on loopback, or a deployment (deploy/).

Also the CPU time of server processes from /proc, counted by the bench per interaction.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def free_port() -> int:
    """A free loopback TCP port."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(port: int, root: Path = ROOT, options: list[str] = ()) -> subprocess.Popen:
    """`streamlit run app.py` on loopback; returns once /_stcore/health answers (at most 120 s)."""
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        "app.py",
        "--server.port",
        str(port),
        "--server.address",
        "127.0.0.1",
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
        "--server.fileWatcherType",
        "none",
        *(f"--{option.split('=', 1)[0]}={option.split('=', 1)[1]}" for option in options),
    ]
    log = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115 - lives as long as the server; a pipe left unread would block it
    server = subprocess.Popen(command, cwd=root, stdout=subprocess.DEVNULL, stderr=log, text=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if server.poll() is not None:
            log.seek(0)
            raise RuntimeError(f"the server stopped: {log.read()[-2000:]}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2):
                return server
        except OSError:
            time.sleep(0.5)
    server.kill()
    raise RuntimeError("the server did not answer /_stcore/health within 120 s")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def total_cpu_seconds(pids: list[int]) -> float:
    """CPU time of every server process together (one that is gone counts 0)."""
    total = 0.0
    for pid in pids:
        with contextlib.suppress(OSError):
            total += cpu_seconds(pid)
    return total


@dataclass
class Target:
    """What the students connect to: one server or a deployment; its Streamlit pids; how to stop it."""

    url: str
    pids: list[int]
    stop: Callable[[], None]
    warm_urls: list[str]  # each process directly, so that the warm-up reaches every one


def serve(root: Path, options: list[str], processes: int | None) -> Target:
    """One `streamlit run` on loopback (processes None), or `processes` of them behind nginx (deploy/)."""
    if processes is None:
        port = free_port()
        server = start_server(port, root, options)
        url = f"http://127.0.0.1:{port}"
        return Target(url, [server.pid], lambda: stop_server(server), [url])
    import deploy

    logs = ROOT / "artifacts" / "logs" / f"deploy-{processes}"  # kept for a look afterwards (nginx, Streamlit)
    shutil.rmtree(logs, ignore_errors=True)
    deployment = deploy.start(processes, listen="127.0.0.1:0", root=root, options=list(options), folder=logs)
    pids, addresses = [p.pid for p in deployment.streamlits.values()], list(deployment.streamlits)
    return Target(deployment.url, pids, deployment.stop, [f"http://{address}" for address in addresses])


def stop_server(server: subprocess.Popen) -> None:
    """SIGTERM, then SIGKILL after 15 s."""
    server.terminate()
    try:
        server.wait(timeout=15)
    except subprocess.TimeoutExpired:
        server.kill()
