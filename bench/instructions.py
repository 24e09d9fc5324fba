"""Instructions a public page costs per request, counted by valgrind.

The same count on a quiet or a busy machine, so two commits can be compared in an hour
whose requests/s swing by a third from one minute to the next.

    .venv/bin/python bench/instructions.py                           # this checkout
    .venv/bin/python bench/instructions.py --checkout /work/base --checkout .
    .venv/bin/python bench/instructions.py --pages "screener,application form" --requests 60

Each page is run in a process of its own under ``valgrind --tool=callgrind``: the app
made and warmed as ``bench/public_pages.py`` makes it (SQLite in a temporary file, the
test client, every page requested five times), then ``--requests`` requests of the
page. One more process per checkout stops after the warm-up; the difference, divided by
the requests, is what one request of the page costs (the imports and the warm-up
cancel out). Two processes run at a time; each takes about two minutes here. Each
checkout is first run once without valgrind (a few seconds), so a checkout that cannot
serve the page is refused before the long runs. Every checkout runs with this
interpreter and its packages: compare commits whose dependencies are the same.

An instruction count is not a time (a cache miss costs more than an addition), but
for the same Python code path it moves with the time, and it repeats: one work tree
counted twice differed by 0.3 % a request, two work trees of the same commit by 0.7 %.
Between commits, objects laid out elsewhere in memory can move a page a little more: a
page whose code and Python calls did not change once counted 2.7 % fewer beside a
change elsewhere. So read a few percent as noise. Needs valgrind (Debian's package).
Requests/s and ratios to the bare DB page come from ``make bench``.
"""

from __future__ import annotations

import argparse
import gc
import os
import re
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve()
PAGES = ("home", "program", "screener", "screener (agency)", "application form", "manage")


def _child(checkout: Path, page: str, requests: int) -> None:
    """Run inside valgrind: the app of ``checkout``, warmed, then the requests."""
    sys.path[:0] = [str(checkout), str(checkout / "bench")]
    os.chdir(checkout)
    import public_pages  # the checkout's own, found through sys.path

    from tests.helpers import complete_screener

    temp = tempfile.TemporaryDirectory()
    uri = f"sqlite:///{Path(temp.name) / 'instructions.sqlite3'}"
    app, urls = public_pages.intake_app(uri)
    client = app.test_client()
    # The warm-up of public_pages.main, written again rather than called: a checkout
    # from before this script has no function of it to call.
    complete_screener(client)  # the application form needs a finished screener
    for url in urls.values():
        for _ in range(5):
            client.get(url)
    gc.collect()
    gc.freeze()  # as gunicorn.conf.py does in each worker
    for _ in range(requests):
        response = client.get(urls[page])
        if response.status_code != 200:
            raise SystemExit(f"{page}: {response.status_code}")
    temp.cleanup()


def _child_command(checkout: Path, page: str, requests: int) -> list[str]:
    child = ["--child", str(checkout), "--pages", page, "--requests", str(requests)]
    return [sys.executable, str(HERE), *child]


def collected(valgrind_output: str) -> int | None:
    """The instructions callgrind counted, from what it prints on stderr."""
    found = re.search(r"Collected : (\d+)", valgrind_output)
    return int(found.group(1)) if found else None


def per_request(start: int, end: int, requests: int) -> float:
    """A page's instructions a request: the run with the requests, less the warm-up's."""
    return (end - start) / requests


def _try(checkout: Path, page: str) -> str | None:
    """What goes wrong when this checkout serves the page once, without valgrind."""
    done = subprocess.run(
        _child_command(checkout, page, 1), capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        return (
            f"{checkout}: the page {page!r} failed (exit {done.returncode})\n{done.stderr[-2000:]}"
        )
    return None


def _count(checkout: Path, page: str, requests: int) -> int:
    command = [
        "valgrind",
        "--tool=callgrind",
        "--callgrind-out-file=/dev/null",
        *_child_command(checkout, page, requests),
    ]
    # The same hash seed in every run: string hashes, set order, and so the work, repeat.
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    count = collected(done.stderr)
    if done.returncode != 0 or count is None:
        raise SystemExit(
            f"{checkout} {page}: the counted run failed (exit {done.returncode})\n"
            f"{done.stderr[-2000:]}"
        )
    return count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", default="screener,application form", help="comma-separated")
    parser.add_argument("--requests", type=int, default=60)
    parser.add_argument("--checkout", action="append", type=Path, help="repeatable")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    pages = [page.strip() for page in args.pages.split(",") if page.strip()]
    unknown = set(pages) - set(PAGES)
    if not pages or unknown:
        what = f"unknown pages {sorted(unknown)}" if unknown else "no page named"
        parser.error(f"{what}; the pages: {', '.join(PAGES)}")
    if args.child:  # --requests 0: the warm-up alone
        _child(args.child, pages[0], args.requests)
        return
    if args.requests < 1:
        parser.error("--requests must be at least 1")

    checkouts = [path.resolve() for path in args.checkout or [HERE.parent.parent]]
    if len(set(checkouts)) < len(checkouts):
        parser.error("each --checkout once (to count one twice, give it a second work tree)")
    if shutil.which("valgrind") is None:
        parser.error("needs valgrind (Debian's package: apt-get install valgrind)")
    for checkout in checkouts:
        for page in pages:
            if problem := _try(checkout, page):
                raise SystemExit(problem)

    runs = [(c, pages[0], 0) for c in checkouts]
    runs += [(c, page, args.requests) for page in pages for c in checkouts]
    with ThreadPoolExecutor(max_workers=2) as pool:
        counts = dict(zip(runs, pool.map(lambda run: _count(*run), runs), strict=True))

    print(f"{'page':20} {'checkout':30} {'instructions a request':>24} {'change':>8}")
    for page in pages:
        first = None
        for checkout in checkouts:
            start = counts[(checkout, pages[0], 0)]
            cost = per_request(start, counts[(checkout, page, args.requests)], args.requests)
            change = "" if first is None else f"{cost / first - 1:+.1%}"
            first = first or cost
            print(f"{page:20} {str(checkout)[-30:]:30} {cost:>24,.0f} {change:>8}")


if __name__ == "__main__":
    main()
