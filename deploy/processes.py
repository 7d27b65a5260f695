"""Start N `streamlit run app.py` processes and nginx in front of them; stop them all again.

No root needed: nginx runs with `-p FOLDER` (its pid, logs, temporary files and generated config live in
FOLDER, a temporary folder unless one is given). Every child gets SIGTERM if this process dies (Linux
`PR_SET_PDEATHSIG`), so a killed test or bench leaves nothing running.
"""

from __future__ import annotations

import ctypes
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from deploy import nginx_config

ROOT = Path(__file__).resolve().parents[1]
STARTUP_SECONDS = 120.0
STOP_SECONDS = 10.0


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


def free_ports(host: str, count: int) -> list[int]:
    """`count` different free ports (each probe closes its socket, so the system could hand one out twice)."""
    ports: list[int] = []
    for _ in range(100 * count):
        if len(ports) == count:
            break
        port = free_port(host)
        if port not in ports:
            ports.append(port)
    return ports


def nginx_path() -> str | None:
    """Path of Debian's nginx binary (often in /usr/sbin, outside a user's PATH), or None."""
    return shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx", "/sbin/nginx") if os.access(p, os.X_OK)), None)


def _load_libc() -> ctypes.CDLL | None:
    """The C library, loaded here once: loading it in a forked child of a threaded parent could deadlock."""
    try:
        return ctypes.CDLL("libc.so.6", use_errno=True)
    except OSError:  # not glibc Linux: children are still stopped by stop(), just not if this process is killed
        return None


LIBC = _load_libc()


def _die_with_parent() -> None:
    """In the child before exec: receive SIGTERM when the parent dies (Linux only; elsewhere a no-op)."""
    if LIBC is not None:
        LIBC.prctl(1, signal.SIGTERM)  # 1 = PR_SET_PDEATHSIG


def training_slots(processes: int) -> int:
    """Training jobs per process so that all processes together use about half the cores, at least 1 each."""
    return max(1, (os.cpu_count() or 2) // (2 * max(1, processes)))


@dataclass
class Deployment:
    """N Streamlit processes (each on its own port) behind one nginx; `stop()` ends them all."""

    folder: Path
    streamlits: dict[str, subprocess.Popen] = field(default_factory=dict)  # "host:port" -> process
    proxy: subprocess.Popen | None = None
    url: str = ""
    keep_folder: bool = False

    def __enter__(self) -> Deployment:
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()

    def log(self, address: str) -> Path:
        """The log file of one Streamlit process."""
        return self.folder / f"streamlit-{address.replace(':', '-')}.log"

    def stop(self) -> None:
        """SIGTERM to every child, SIGKILL after STOP_SECONDS; remove the folder unless asked to keep it."""
        children = [*self.streamlits.values(), *([self.proxy] if self.proxy else [])]
        for child in children:
            if child.poll() is None:
                child.terminate()
        deadline = time.monotonic() + STOP_SECONDS
        for child in children:
            try:
                child.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
        if not self.keep_folder:
            shutil.rmtree(self.folder, ignore_errors=True)


def streamlit_command(host: str, port: int, options: list[str]) -> list[str]:
    """`streamlit run app.py` on host:port, headless; `options` are NAME=VALUE Streamlit settings."""
    return [
        sys.executable, "-m", "streamlit", "run", "app.py",
        "--server.address", host, "--server.port", str(port),
        "--server.headless", "true", "--browser.gatherUsageStats", "false",
        *(f"--{option}" for option in options),
    ]  # fmt: skip


def wait_healthy(url: str, process: subprocess.Popen, log: Path, seconds: float = STARTUP_SECONDS) -> None:
    """Return once `url`/_stcore/health answers 200; raise with the log's tail if the process stops or is late."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url} stopped with code {process.returncode}:\n{tail(log)}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.25)
    raise RuntimeError(f"{url} did not answer /_stcore/health within {seconds:.0f} s:\n{tail(log)}")


def tail(log: Path, characters: int = 2000) -> str:
    """The end of a log file ('' when there is none)."""
    return log.read_text(errors="replace")[-characters:] if log.exists() else ""


def start_streamlits(deployment: Deployment, host: str, ports: list[int], options: list[str], root: Path) -> None:
    """Start one Streamlit per port at once (startup overlaps), then wait until each is healthy."""
    environment = {**os.environ, "PYTHONUNBUFFERED": "1"}
    environment.setdefault("RNNVIZ_TRAINING_SLOTS", str(training_slots(len(ports))))
    for port in ports:
        address = f"{host}:{port}"
        with deployment.log(address).open("w") as log:
            deployment.streamlits[address] = subprocess.Popen(
                streamlit_command(host, port, options), cwd=root, env=environment, stdout=log,
                stderr=subprocess.STDOUT, preexec_fn=_die_with_parent,
            )  # fmt: skip
    for address, process in deployment.streamlits.items():
        wait_healthy(f"http://{address}", process, deployment.log(address))


def start_proxy(deployment: Deployment, upstreams: list[str], settings: nginx_config.ProxySettings) -> None:
    """Write nginx.conf into the folder, check it (`nginx -t`), start nginx, wait until it answers."""
    nginx = nginx_path()
    if nginx is None:
        raise RuntimeError("nginx is not installed: apt-get install nginx (Debian's package; no root needed to run)")
    (deployment.folder / "temp").mkdir(exist_ok=True)
    config = deployment.folder / "nginx.conf"
    config.write_text(nginx_config.render(upstreams, deployment.folder, settings))
    command = [nginx, "-p", str(deployment.folder), "-c", str(config), "-e", str(deployment.folder / "error.log")]
    checked = subprocess.run([*command, "-t", "-q"], capture_output=True, text=True)
    if checked.returncode != 0:
        raise RuntimeError(f"nginx refused the generated {config}:\n{checked.stderr[-2000:]}")
    deployment.proxy = subprocess.Popen(command, preexec_fn=_die_with_parent)
    host, port = settings.listen.rsplit(":", 1)
    deployment.url = f"http://{'127.0.0.1' if host in ('0.0.0.0', '*', '[::]') else host}:{port}"
    wait_healthy(deployment.url, deployment.proxy, deployment.folder / "error.log", seconds=30)


def start(
    processes: int,
    listen: str = "127.0.0.1:0",
    host: str = "127.0.0.1",
    first_port: int = 0,
    remote: list[str] = (),
    options: list[str] = (),
    folder: Path | None = None,
    proxy: bool = True,
    root: Path = ROOT,
) -> Deployment:
    """Start `processes` local Streamlits (free ports, or first_port, first_port+1, ...) and the proxy.

    `listen` is the proxy's HOST:PORT (port 0: a free one); `remote` adds HOST:PORT upstreams started on other
    machines. On failure everything already started is stopped before the error is raised.
    """
    if processes < 0 or (processes == 0 and not remote):
        raise ValueError("start at least one Streamlit process here, or name remote ones (--upstream HOST:PORT)")
    listen_host, listen_port = listen.rsplit(":", 1)
    if listen_port == "0":
        listen = f"{listen_host}:{free_port(listen_host)}"
    ports = list(range(first_port, first_port + processes)) if first_port else free_ports(host, processes)
    keep = folder is not None
    folder = Path(folder) if folder else Path(tempfile.mkdtemp(prefix="rnnviz-deploy-"))
    folder.mkdir(parents=True, exist_ok=True)
    deployment = Deployment(folder=folder.resolve(), keep_folder=keep)
    try:
        start_streamlits(deployment, host, ports, list(options), root)
        if proxy:
            upstreams = [upstream_address(address) for address in deployment.streamlits] + list(remote)
            start_proxy(deployment, upstreams, nginx_config.ProxySettings(listen=listen))
    except BaseException:
        deployment.stop()
        raise
    return deployment


def upstream_address(address: str) -> str:
    """How the proxy reaches a local process: 0.0.0.0 (every interface) is reached on loopback."""
    host, port = address.rsplit(":", 1)
    return f"127.0.0.1:{port}" if host in ("0.0.0.0", "::", "") else address
