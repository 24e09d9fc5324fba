"""The last step of `make run`: the web server, the outbox loop and the tick loop,
started together and stopped together.

    python deploy/run_local.py --host 127.0.0.1 --port 5000 -- .venv/bin/flask --app wsgi

- A port that is taken is said plainly before anything starts (exit status 1); with
  --check that is all it does (`make run` checks before it migrates and seeds).
- Ctrl-C (SIGINT), SIGTERM or SIGHUP stops all three and waits for them (exit status 0).
- If one of the three stops by itself, the other two are stopped and its exit status is
  this script's.

The three run in a session of their own, so the terminal's Ctrl-C reaches this script
only, and it stops them one by one. (The recipe this replaces trapped signals with
`kill 0`, which signalled its own process group, make included, and itself again
inside its own trap until the shell overflowed its stack: "Segmentation fault".)
"""

from __future__ import annotations

import argparse
import errno
import signal
import socket
import subprocess
import sys
import time

# How long each process gets to stop after SIGTERM before it is killed.
STOP_SECONDS = 10.0
POLL_SECONDS = 0.2


def port_problem(host: str, port: int) -> str | None:
    """Why the web server could not listen on host:port, or None when it can."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    except socket.gaierror as error:
        return f"Cannot serve on {host}:{port}: {error.strerror}."
    with socket.socket(family, kind, proto) as probe:
        # As the server will: a connection of a previous run in TIME_WAIT is no obstacle.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                return (
                    f"Port {port} on {host} is already in use (another `make run`?). "
                    f"Stop what uses it, or choose another port: make run PORT={port + 1}"
                )
            return f"Cannot serve on {host}:{port}: {error.strerror}."
    return None


def commands(flask: list[str], host: str, port: int) -> dict[str, list[str]]:
    return {
        "web server": [*flask, "run", "--host", host, "--port", str(port)],
        "outbox loop": [*flask, "outbox", "deliver", "--loop"],
        "tick loop": [*flask, "waitlist", "tick", "--loop"],
    }


def stop(processes: dict[str, subprocess.Popen]) -> None:
    """SIGTERM to each one still running, then wait; kill what outlives the wait."""
    for process in processes.values():
        if process.poll() is None:
            process.terminate()
    deadline = time.monotonic() + STOP_SECONDS
    for process in processes.values():
        try:
            process.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5000)
    parser.add_argument("--check", action="store_true", help="only check that the port is free")
    parser.add_argument("flask", nargs="*", help="the flask command, e.g. flask --app wsgi")
    args = parser.parse_args(argv)

    problem = port_problem(args.host, args.port)
    if problem:
        print(problem, file=sys.stderr)
        return 1
    if args.check:
        return 0
    if not args.flask:
        parser.error("the flask command is missing")

    asked_to_stop: list[int] = []

    def on_signal(signum: int, _frame) -> None:
        asked_to_stop.append(signum)

    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, on_signal)

    processes: dict[str, subprocess.Popen] = {}
    status = 0
    try:
        for name, command in commands(args.flask, args.host, args.port).items():
            # The commands are the Makefile's own flask command and fixed arguments.
            processes[name] = subprocess.Popen(command, start_new_session=True)  # noqa: S603
        while not asked_to_stop:
            ended = [(name, p.returncode) for name, p in processes.items() if p.poll() is not None]
            if ended:
                name, status = ended[0]
                message = f"The {name} stopped (exit status {status}): stopping the rest."
                print(message, file=sys.stderr)
                status = status or 1
                break
            time.sleep(POLL_SECONDS)
    finally:
        stop(processes)
    if asked_to_stop:
        print("\nStopped the web server, the outbox loop and the tick loop.", file=sys.stderr)
    return status


if __name__ == "__main__":
    sys.exit(main())
