"""`python -m deploy N [PORT]`: N Streamlit processes behind nginx, in the foreground; Ctrl-C stops them all.

    python -m deploy 2              # two processes on free loopback ports, the proxy on 0.0.0.0:8501
    python -m deploy 4 8080         # four processes, the proxy on port 8080
    python -m deploy 2 --listen 127.0.0.1:8501 --logs /tmp/rnnviz-logs
    python -m deploy 2 --no-proxy --host 0.0.0.0 --first-port 8601     # an app machine of a larger room
    python -m deploy 0 8501 --upstream 10.0.0.2:8601 --upstream 10.0.0.2:8602   # the proxy machine alone

deploy/README.md explains the layout, stickiness and what happens when a process dies.
"""

from __future__ import annotations

import argparse
import signal
import sys
import time
from pathlib import Path

from deploy import processes


def parser() -> argparse.ArgumentParser:
    """The command line."""
    options = argparse.ArgumentParser(prog="python -m deploy", description=__doc__.splitlines()[0])
    options.add_argument("processes", type=int, help="Streamlit processes to start here (about one per core)")
    options.add_argument("port", type=int, nargs="?", default=8501, help="the proxy's port (default 8501; 0: free)")
    options.add_argument("--listen-host", default="0.0.0.0", help="the proxy's address (default: every interface)")
    options.add_argument("--host", default="127.0.0.1", help="address of the Streamlit processes (default loopback)")
    options.add_argument("--first-port", type=int, default=0, help="Streamlit ports from here on (default: free)")
    options.add_argument("--upstream", action="append", default=[], metavar="HOST:PORT", help="a remote process")
    options.add_argument("--no-proxy", action="store_true", help="start the Streamlit processes only")
    options.add_argument("--logs", type=Path, default=None, help="keep config and logs here (default: a temp dir)")
    options.add_argument("--option", action="append", default=[], metavar="NAME=VALUE", help="a Streamlit option")
    return options


def watch(deployment: processes.Deployment) -> int:
    """Report each process that exits (its users move to the others); return when nginx or every process is gone."""
    reported: set[str] = set()
    while True:
        for address, process in deployment.streamlits.items():
            if process.poll() is not None and address not in reported:
                reported.add(address)
                print(f"Streamlit on {address} exited (code {process.returncode}); its users are sent to the others."
                      f" Log: {deployment.log(address)}", flush=True)  # fmt: skip
        if deployment.proxy is not None and deployment.proxy.poll() is not None:
            print(f"nginx exited (code {deployment.proxy.returncode}); see {deployment.folder}/error.log", flush=True)
            return 1
        if deployment.streamlits and len(reported) == len(deployment.streamlits) and deployment.proxy is None:
            return 1
        time.sleep(1.0)


def stop_on_sigterm(*_: object) -> None:
    """SIGTERM (systemd, `kill`) stops like Ctrl-C."""
    raise KeyboardInterrupt


def main() -> int:
    """Start, print where to go, watch until Ctrl-C, stop everything."""
    arguments = parser().parse_args()
    signal.signal(signal.SIGTERM, stop_on_sigterm)
    try:
        deployment = processes.start(
            arguments.processes,
            listen=f"{arguments.listen_host}:{arguments.port}",
            host=arguments.host,
            first_port=arguments.first_port,
            remote=arguments.upstream,
            options=arguments.option,
            folder=arguments.logs,
            proxy=not arguments.no_proxy,
        )
    except (RuntimeError, ValueError) as error:
        print(f"could not start: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    try:
        for address in deployment.streamlits:
            print(f"Streamlit on http://{address} (log {deployment.log(address)})")
        if deployment.proxy is not None:
            print(f"Students open {deployment.url} (nginx; config and logs in {deployment.folder}). Ctrl-C stops all.")
        else:
            print("No proxy here (--no-proxy): name these processes with --upstream on the proxy machine. Ctrl-C stops all.")
        sys.stdout.flush()
        return watch(deployment)
    except KeyboardInterrupt:
        print("stopping", flush=True)
        return 0
    finally:
        deployment.stop()


if __name__ == "__main__":
    sys.exit(main())
