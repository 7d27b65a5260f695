"""Start-up speed and offline behaviour of the app, in headless Chromium (issue 15 item 5).

Measures, from `streamlit run app.py` to the Home page rendered (target <= 3 s), then from a click
in the navigation to each built page rendered (ui/catalog.py, target <= 2 s each), and prints the
ratios against the targets. "Rendered" means the page's title is on screen and the app is idle
(connected, no script running, no spinner, nothing stale) for 0.4 s; the time is taken when that
quiet began.
The baseline, measured in the same run: a one-line Streamlit app from `streamlit run` to its title
(Home / bare is what rnnviz adds to Streamlit's own start on this machine at this load).

Offline: by default the whole measurement (server and browser) runs in a new network namespace
(`unshare -n`, with only the loopback interface up), so nothing can reach outside, and it shows
that nothing tries: every request and websocket the browser opens is recorded, every socket
connect, sendto and name lookup the server's Python makes is recorded by an audit hook
(`sys.addaudithook`), and the server's sockets are read from /proc/<pid>/net every 0.1 s. Any
non-loopback address is printed. `--no-isolate` runs on the normal network (still recording).

The app's background warm-up (ui.shell.warm_up_later: after Home, the other pages' modules and first views
are loaded while nobody clicks) is on as shipped; `--warm-up off` measures without it, `--warm-up both`
interleaves the two in every run.

    Run: python bench/startup.py [--runs 3] [--warm-up on|off|both] [--no-isolate]
"""

from __future__ import annotations

import argparse
import contextlib
import ipaddress
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

HOME_TARGET, PAGE_TARGET = 3.0, 2.0
ISOLATED_ENV = "RNNVIZ_BENCH_ISOLATED"  # set inside the network namespace
WARM_UP_ENV = "RNNVIZ_WARM_UP"  # ui.shell.WARM_ENV: "0" turns off the background warm-up after Home
LOCAL_SCHEMES = ("data", "blob", "about", "chrome", "chrome-extension", "devtools")
AUDITED = ("socket.connect", "socket.sendto", "socket.getaddrinfo", "urllib.Request")


def is_loopback_host(host: str | None) -> bool:
    """True for localhost, 127.0.0.0/8 and ::1 (a missing host, e.g. a Unix socket, counts as local)."""
    if not host:
        return True
    host = host.strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def outside_urls(urls: list[str]) -> list[str]:
    """The URLs that would leave the machine (not loopback, not data:/blob:/about:)."""
    outside = []
    for url in urls:
        parts = urllib.parse.urlsplit(url)
        if parts.scheme in LOCAL_SCHEMES or is_loopback_host(parts.hostname):
            continue
        outside.append(url)
    return outside


# ---------------------------------------------------------------- the server, with its audit hook


def audit_hook(log):
    """An audit hook that writes one JSON line to `log` per network call to a non-loopback target."""

    def hook(event: str, args: tuple) -> None:
        """Log a network call whose target is not loopback."""
        if event not in AUDITED:
            return
        if event == "urllib.Request":
            outside = outside_urls([str(args[0])])
        elif event == "socket.getaddrinfo":
            host = args[0].decode() if isinstance(args[0], bytes) else args[0]
            outside = [] if is_loopback_host(host if isinstance(host, str) else None) else [str(host)]
        else:  # socket.connect and socket.sendto: (socket, address)
            address = args[-1]
            host = address[0] if isinstance(address, tuple) and address else None
            outside = [] if is_loopback_host(host if isinstance(host, str) else None) else [repr(address)]
        for item in outside:
            log.write(json.dumps({"event": event, "target": item}) + "\n")

    return hook


def serve(port: int, audit_log: str, app: str) -> None:
    """Run `streamlit run <app>` in this process, logging every non-loopback network call to `audit_log`."""
    log = open(audit_log, "a", buffering=1)  # noqa: SIM115 (open for the life of the server)
    sys.addaudithook(audit_hook(log))
    from streamlit.web import cli

    sys.argv = ["streamlit", "run", app, "--server.port", str(port), "--server.address", "127.0.0.1"]
    cli.main()


class SocketWatch(threading.Thread):
    """Reads the server's TCP/UDP sockets from /proc every 0.1 s and keeps every non-loopback peer."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.peers, self.done = pid, set(), threading.Event()

    def _inodes(self) -> set[str]:
        """Inode numbers of the server's open sockets."""
        inodes = set()
        for fd in Path(f"/proc/{self.pid}/fd").glob("*"):
            try:
                target = os.readlink(fd)
            except OSError:
                continue
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
        return inodes

    def _scan(self) -> None:
        """Keep the peer of every server socket that is connected to a non-loopback address."""
        inodes = self._inodes()
        for table in ("tcp", "tcp6", "udp", "udp6"):
            try:
                lines = Path(f"/proc/{self.pid}/net/{table}").read_text().splitlines()[1:]
            except OSError:
                continue
            for line in lines:
                fields = line.split()
                remote, inode = fields[2], fields[9]
                if inode in inodes and not remote_is_local(remote):
                    self.peers.add(f"{table} {decode_address(remote)}")

    def run(self) -> None:
        """Scan every 0.1 s until `done` is set."""
        while not self.done.is_set():
            with contextlib.suppress(OSError):  # the server may be exiting
                self._scan()
            self.done.wait(0.1)


def decode_address(hex_address: str) -> str:
    """'0100007F:1F90' (a /proc/net address) -> '127.0.0.1:8080'; IPv6 likewise."""
    host, port = hex_address.split(":")
    raw = bytes.fromhex(host)
    if len(raw) == 4:
        ip = ipaddress.ip_address(raw[::-1])
    else:  # four little-endian 32-bit words
        ip = ipaddress.ip_address(b"".join(raw[i : i + 4][::-1] for i in range(0, 16, 4)))
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return f"{ip}:{int(port, 16)}"


def remote_is_local(hex_address: str) -> bool:
    """An unconnected socket (remote 0.0.0.0:0 or ::) or a loopback peer."""
    ip_port = decode_address(hex_address)
    host = ip_port.rsplit(":", 1)[0]
    return host in ("0.0.0.0", "::") or is_loopback_host(host)


# ---------------------------------------------------------------- the browser side

RENDERED_JS = """([app, busy, path]) => {
    const root = document.querySelector(app);
    if (!root || root.getAttribute("data-test-connection-state") !== "CONNECTED") return false;
    if ([...document.querySelectorAll(busy)].some((el) => el.getClientRects().length > 0 || el.matches(app))) return false;
    if (window.location.pathname.replace(/\\/+$/, "") !== path) return false;
    const title = document.querySelector('[data-testid="stMainBlockContainer"] h1');
    return Boolean(title && title.getClientRects().length > 0);
}"""


def wait_rendered(page, started: float, key: str, timeout: float = 120.0, settle: float = 0.4) -> float:
    """Seconds from `started` until page `key` showed its title with the app idle (and stayed so `settle` s)."""
    from tests.e2e import browser as br

    path = "" if key == "home" else f"/{key}"
    quiet_since = None
    while True:
        now = time.perf_counter()
        if not page.evaluate(RENDERED_JS, [br.APP, br.BUSY, path]):
            quiet_since = None
        elif quiet_since is None:
            quiet_since = now
        elif now - quiet_since >= settle:
            return quiet_since - started
        if now - started > timeout:
            raise TimeoutError(f"{key} not rendered after {timeout:.0f} s")
        page.wait_for_timeout(20)


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_healthy(port: int, process: subprocess.Popen, timeout: float = 120.0) -> None:
    """Poll /_stcore/health every 50 ms until it answers."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"streamlit exited with code {process.returncode}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"streamlit not healthy after {timeout:.0f} s")


BARE_APP = 'import streamlit as st\n\nst.title("A bare Streamlit app")\n'  # the baseline: Streamlit alone


def start_server(app: Path, port: int, audit: Path, workdir: Path, warm_up: bool = True) -> subprocess.Popen:
    """`streamlit run <app>` on `port` through this script's --serve (the audit hook), its log in `workdir`.

    `warm_up=False` sets RNNVIZ_WARM_UP=0: no background loading of the pages' modules after Home.
    """
    with (workdir / "server.log").open("a") as log:
        return subprocess.Popen(
            [sys.executable, __file__, "--serve", str(port), "--audit-log", str(audit), "--app", str(app)],
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1", WARM_UP_ENV: "1" if warm_up else "0"},
        )


def stop_server(process: subprocess.Popen) -> None:
    """Terminate the server, killing it after 15 s."""
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def bare_seconds(browser, workdir: Path) -> float:
    """Seconds from `streamlit run` to the title of a one-line app rendered: the floor on this machine now."""
    app = workdir / "bare_app.py"
    app.write_text(BARE_APP)
    port, page = free_port(), browser.new_page(viewport={"width": 1280, "height": 720})
    started = time.perf_counter()
    process = start_server(app, port, workdir / "audit-bare.jsonl", workdir)
    try:
        wait_healthy(port, process)
        page.goto(f"http://127.0.0.1:{port}/", wait_until="commit")
        return wait_rendered(page, started, "home")
    finally:
        stop_server(process)
        page.close()


def one_run(browser, pages: list, workdir: Path, warm_up: bool = True) -> dict:
    """A fresh server and a fresh browser context: Home from `streamlit run`, then a click to each page."""
    from tests.e2e import browser as br

    bare = bare_seconds(browser, workdir)
    port, audit = free_port(), workdir / f"audit-{time.time_ns()}.jsonl"
    audit.touch()
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    page = context.new_page()
    urls: list[str] = []
    page.on("request", lambda request: urls.append(request.url))
    page.on("websocket", lambda websocket: urls.append(websocket.url))
    seconds, failures = {"bare": bare}, []
    started = time.perf_counter()
    process = start_server(ROOT / "app.py", port, audit, workdir, warm_up)
    watch = SocketWatch(process.pid)
    watch.start()
    try:
        wait_healthy(port, process)
        page.goto(f"http://127.0.0.1:{port}/", wait_until="commit")
        seconds["home"] = wait_rendered(page, started, "home")
        for spec in pages:
            link = page.locator('[data-testid="stSidebarNav"]').get_by_role("link", name=spec.title, exact=True)
            link.wait_for()
            clicked = time.perf_counter()
            link.click()
            seconds[spec.key] = wait_rendered(page, clicked, spec.key)
            if page.locator('[data-testid="stException"]').count() or page.locator(br.PAGE_ERROR).count():
                failures.append(spec.key)
    finally:
        watch.done.set()
        stop_server(process)
        context.close()
    calls = [json.loads(line) for line in audit.read_text().splitlines() if line.strip()]
    return {"seconds": seconds, "urls": urls, "calls": calls, "peers": sorted(watch.peers), "failures": failures}


def outside_reachable() -> str:
    """Try 1.1.1.1:53 for one second: what happens (a namespace without a route answers at once)."""
    try:
        with socket.create_connection(("1.1.1.1", 53), timeout=1.0):
            return "yes: a connection to 1.1.1.1:53 succeeded"
    except OSError as error:
        return f"no ({error.strerror or error})"


def timing_report(runs: list[dict], pages: list, title: str = "") -> bool:
    """The table of seconds per run against the targets; True when every target is met."""
    header = "".join(f"  run {i + 1:<3d}" for i in range(len(runs)))
    print(f"\n{title:36s}{header}  target   worst ratio (seconds / target)")
    met = True
    rows = [("home", "Home: `streamlit run` to rendered", HOME_TARGET)]
    rows += [(spec.key, f"{spec.title}: click to rendered", PAGE_TARGET) for spec in pages]
    for key, title, target in rows:
        values = [run["seconds"].get(key, float("nan")) for run in runs]
        met &= max(values) <= target
        cells = "".join(f"  {value:7.2f}" for value in values)
        print(f"{title[:36]:36s}{cells}  {target:5.1f} s  {max(values) / target:5.2f}")
    bare = [run["seconds"]["bare"] for run in runs]
    print(f"{'baseline: a bare Streamlit app':36s}" + "".join(f"  {value:7.2f}" for value in bare))
    ratios = ", ".join(f"{run['seconds']['home'] / run['seconds']['bare']:.2f}" for run in runs)
    print(f"Home / bare Streamlit app (same run): {ratios}  (what rnnviz adds to Streamlit's own start)")
    if len(runs) > 1:
        medians = {key: statistics.median(run["seconds"][key] for run in runs) for key in runs[0]["seconds"]}
        print("median seconds: " + ", ".join(f"{key} {value:.2f}" for key, value in medians.items()))
    return met


def network_report(runs: list[dict]) -> bool:
    """Every address the browser and the server tried; True when all of them are loopback."""
    urls = [url for run in runs for url in run["urls"]]
    outside = sorted(set(outside_urls(urls)))
    calls = sorted({f"{call['event']} {call['target']}" for run in runs for call in run["calls"]})
    peers = sorted({peer for run in runs for peer in run["peers"]})
    hosts = sorted({urllib.parse.urlsplit(url).netloc for url in urls} - {""})
    print(
        f"\nbrowser: {len(urls)} requests and websockets, to {', '.join(hosts) or 'nothing'}; "
        f"non-loopback: {', '.join(outside) or 'none'}"
    )
    print(f"server (audit hook on connect/sendto/getaddrinfo/urllib): non-loopback: {', '.join(calls) or 'none'}")
    print(f"server sockets (/proc/<pid>/net every 0.1 s): non-loopback peers: {', '.join(peers) or 'none'}")
    return not (outside or calls or peers)


def report(variants: dict[str, list[dict]], pages: list, isolation: str, load_before: tuple, load_after: tuple) -> int:
    """Print timings (per warm-up setting) and network findings; 1 if the first setting misses a target, anything
    left loopback or a page failed."""
    from timing import cpu_line  # bench/timing.py: the machine the figures come from

    print(cpu_line())
    print(f"network: {isolation}; outside reachable: {outside_reachable()}")
    print(
        f"load average before {' '.join(f'{v:.1f}' for v in load_before)}, after "
        f"{' '.join(f'{v:.1f}' for v in load_after)} (1, 5, 15 min) on {os.cpu_count()} CPUs"
    )
    met_by_setting = [timing_report(runs, pages, title) for title, runs in variants.items()]  # every table printed
    met = met_by_setting[0]
    runs = [run for variant in variants.values() for run in variant]
    offline = network_report(runs)
    failures = sorted({key for run in runs for key in run["failures"]})
    if failures:
        print(f"pages showing an exception: {', '.join(failures)}")
    return int(not (met and offline) or bool(failures))


WARM_UP_CHOICES = {"on": (True,), "off": (False,), "both": (True, False)}


def measure(runs: int, isolation: str, warm_up: str = "on") -> int:
    """Launch Chromium once, then `runs` fresh servers per warm-up setting (interleaved); print the report."""
    from playwright.sync_api import sync_playwright

    from tests.e2e import browser as br
    from ui import catalog

    executable = br.chromium_path()
    if executable is None:
        print("chromium is not installed (apt-get install chromium): nothing measured")
        return 2
    pages = [spec for spec in catalog.built_pages() if spec.key != "home"]
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="rnnviz-startup-") as folder, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=br.CHROMIUM_ARGS)
        try:
            variants: dict[str, list[dict]] = {}
            for _ in range(runs):
                for setting in WARM_UP_CHOICES[warm_up]:
                    title = "warm-up on" if setting else "warm-up off (RNNVIZ_WARM_UP=0)"
                    variants.setdefault(title, []).append(one_run(browser, pages, Path(folder), setting))
        except Exception:
            log = Path(folder) / "server.log"
            print(log.read_text()[-4000:] if log.exists() else "(no server log)", file=sys.stderr)
            raise
        finally:
            browser.close()
    return report(variants, pages, isolation, load_before, os.getloadavg())


def isolate(argv: list[str]) -> int | None:
    """Run this script again inside `unshare -n` with loopback up; None when that is not possible here."""
    if not shutil.which("unshare") or not shutil.which("ip") or os.geteuid() != 0:
        return None
    if subprocess.run(["unshare", "-n", "true"], capture_output=True).returncode != 0:
        return None
    command = ["unshare", "-n", "--", "sh", "-c", 'ip link set lo up && exec "$0" "$@"', sys.executable, __file__, *argv]
    return subprocess.run(command, env={**os.environ, ISOLATED_ENV: "1"}).returncode


def main() -> int:
    """Measure (isolated when possible), or run the server when called with --serve."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1, help="fresh servers to measure (default 1)")
    parser.add_argument("--no-isolate", action="store_true", help="run on the normal network (still recording)")
    parser.add_argument(
        "--warm-up",
        choices=tuple(WARM_UP_CHOICES),
        default="on",
        help="the app's background warm-up after Home: on (default, as shipped), off, or both, interleaved",
    )
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)  # internal: run the server on this port
    parser.add_argument("--audit-log", help=argparse.SUPPRESS)
    parser.add_argument("--app", default=str(ROOT / "app.py"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve is not None:
        serve(args.serve, args.audit_log, args.app)
        return 0
    if os.environ.get(ISOLATED_ENV) == "1":
        return measure(args.runs, "isolated (unshare -n: a network namespace with loopback only)", args.warm_up)
    if not args.no_isolate:
        code = isolate(sys.argv[1:])
        if code is not None:
            return code
        print("unshare -n is not available here (needs root and iproute2): measuring on the normal network")
    return measure(args.runs, "not isolated (the normal network)", args.warm_up)


if __name__ == "__main__":
    sys.exit(main())
