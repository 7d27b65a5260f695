"""A class at once: N simulated students typing on Translate and Inside the cell against one `streamlit run app.py`.

The server runs on a free loopback port. Every student speaks Streamlit's own websocket protocol
(bench/wsclient.py: the page's run, the typed value sent as the browser sends it, a fragment rerun where the
box sits in a fragment), which costs the client little, so the server, not 30 Chromium pages, takes the
machine; `--client browser` makes every student a page of one headless Chromium instead (fragments,
websockets and reruns exactly as a person's browser does them, at the price of the pages' own CPU). Each
types a new input,
waits until the page shows the answer to that very input and the script run has finished, pauses
0.5-1.5 s, and repeats, at most --rounds times and for at most --seconds per phase. Printed per page and N:
p50 / p95 / max latency, the ratio of p50 to the one-user p50, errors (no answer in time), wrong outputs
(the page settled on an answer other than the model's own for that input), and the server's CPU time per
interaction (its user+system time from /proc, counted once every student has opened the page): the
"server time" an interaction costs.

    python bench/load.py --users 1 3            # here (a shared 2-core machine): small N only
    python bench/load.py --users 1 10 30        # the issue's table, on a machine of its own
    python bench/load.py --deploy 2 --pages translate --users 1 10   # 1 process, then 2, behind nginx

With --deploy N the students go through the deployment of deploy/ (nginx, sticky sessions): first one
process behind nginx, then N, and the bench prints the throughput (answers per second) of N processes over
one process's, per page and number of students. The server CPU then sums every Streamlit process.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

# bench/reruns.py imports these from here (they moved to bench/servers.py).
from bench.servers import cpu_seconds as cpu_seconds  # noqa: E402
from bench.servers import free_port as free_port  # noqa: E402
from bench.servers import serve, total_cpu_seconds  # noqa: E402
from bench.servers import start_server as start_server  # noqa: E402
from bench.timing import cpu_line  # noqa: E402
from bench.wsclient import Session  # noqa: E402
from tests.e2e.browser import CHROMIUM_ARGS, chromium_path  # noqa: E402
from ui.markdown import escape  # noqa: E402

FRENCH = [
    "je suis grand .",
    "il est petit .",
    "elle est tres fatiguee .",
    "nous sommes en retard .",
    "je suis content .",
    "tu es malade .",
    "il est tres riche .",
    "elle est plus grande que moi .",
    "je suis desole .",
    "nous sommes prets .",
    "vous etes gentil .",
    "ils sont ici .",
]
LETTERS = "abcdefghijklmnopqrstuvwxyz"
MAIN = '[data-testid="stMainBlockContainer"]'
IDLE = """() => { const app = document.querySelector('[data-testid="stApp"]');
  return !!app && app.getAttribute('data-test-script-state') === 'notRunning'
    && !document.querySelector('[data-stale="true"]'); }"""


@dataclass
class Phase:
    """What one page's students measured at one N."""

    latencies: list[float] = field(default_factory=list)
    answered_at: list[float] = field(default_factory=list)  # time.monotonic() of each right answer
    errors: list[str] = field(default_factory=list)
    wrong: list[str] = field(default_factory=list)


@dataclass
class Start:
    """Typing starts when every student has opened the page, so the server's CPU counts interactions only."""

    total: int
    pids: list[int]
    seconds: float
    arrived: int = 0
    opened: asyncio.Event = field(default_factory=asyncio.Event)
    cpu_at_start: float = 0.0
    started: float = 0.0
    stop_at: float = 0.0

    def arrive(self) -> None:
        """One student has opened the page (or failed to)."""
        self.arrived += 1
        if self.arrived == self.total:
            self.cpu_at_start, self.started = total_cpu_seconds(self.pids), time.monotonic()
            self.stop_at = self.started + self.seconds
            self.opened.set()


def _default_translator(source: str, target: str, prefer_corpus: bool = False):
    """The model a page picks first for a direction (Translate: tutorial-sized; Phrase scoring: the corpus one)."""
    from rnnviz.io.checkpoints import checkpoint_directory
    from rnnviz.seq2seq.translator import Translator, list_translators

    found = [c for c in list_translators(str(checkpoint_directory()))[0] if (c.source, c.target) == (source, target)]
    ordered = sorted(found, key=lambda c: ("small" in c.path.name, "corpus" in c.path.name, c.path.name))
    corpus = [c for c in ordered if "corpus" in c.path.name]
    return Translator.load((corpus[0] if prefer_corpus and corpus else ordered[0]).path)


def expected_answers() -> dict[str, object]:
    """What each page must show: translations, the phrase scorer, the model's own answer (CPU ms)."""
    import torch

    torch.set_num_threads(int(os.environ.get("RNNVIZ_TORCH_THREADS", "1")))  # as the server does (ui/sidebar.py)
    translator = _default_translator("fra", "eng")
    translator.translate(FRENCH[0])  # the first call pays for torch's lazy start
    began = time.process_time()  # CPU time, comparable with the server's CPU time per interaction
    translations = {sentence: translator.translate(sentence).text for sentence in FRENCH}
    answer_ms = 1000 * (time.process_time() - began) / len(FRENCH)
    scorer = _default_translator("eng", "fra", prefer_corpus=True)
    return {"translations": translations, "answer_ms": answer_ms, "scorer": scorer}


def round_input(page_name: str, user: int, round_index: int, offset: int, expected: dict) -> tuple[str, str]:
    """A new input for this page, user and round (never typed before in this run), and what the page must show."""
    serial = offset + round_index
    if page_name == "translate":  # trailing spaces: a new input for the server, the same sentence for the model
        sentence = FRENCH[(user + serial) % len(FRENCH)]
        return sentence + " " * (1 + serial + 37 * user), expected["translations"][sentence] or "(no words)"
    if page_name == "phrase-scoring":
        sentence = FRENCH[(user + serial) % len(FRENCH)] + " " * (1 + serial + 37 * user)
        total = expected["scorer"].score("i am very tired .", sentence)[0]
        return sentence, f"log p(target | source) = {total:.2f} nats"
    return inside_text(user, serial)


def inside_text(user: int, round_index: int) -> tuple[str, str]:
    """A 500-character text whose character at position 8 changes every round, and how the page names it."""
    letter = LETTERS[(user * 7 + round_index) % 26]
    body = "(a (b) c" + letter + " (d (e f) g) 'quote' " * 30
    return body[:500], f"reading ‘{letter}’"


async def settle(page, check: str, argument: str, timeout: float) -> str:
    """'ok' once the page shows `argument` (per `check`) and is idle; 'wrong' if idle without it; 'timeout'."""
    try:
        await page.wait_for_function(
            f"(expected) => ({IDLE})() && ({check})(expected)", arg=argument, polling=50, timeout=timeout * 1000
        )
        return "ok"
    except Exception:  # Playwright's TimeoutError: decide between wrong and late
        return "wrong" if await page.evaluate(IDLE) else "timeout"


HAS_HEADING = """(expected) => [...document.querySelectorAll('[data-testid="stMainBlockContainer"] h3')]
  .some((h) => h.textContent.trim() === expected)"""
HAS_TEXT = """(expected) => document.querySelector('[data-testid="stMainBlockContainer"]').innerText.includes(expected)"""


URLS = {"phrase-scoring": "smt-paper"}  # the catalog's url path of each page
BOXES = {
    "translate": ("Type a sentence in French", HAS_HEADING, "Enter"),
    "phrase-scoring": ("French phrase", HAS_TEXT, "Enter"),
    "inside-cell": ("Text to read (type or paste your own)", HAS_TEXT, "Control+Enter"),
}


async def typing_rounds(
    answer: Callable[[str, str], Awaitable[tuple[str, float]]],
    page_name: str,
    user: int,
    rounds: int,
    start: Start,
    expected: dict,
    phase: Phase,
    answer_timeout: float,
    offset: int,
) -> None:
    """Once every student has opened the page: type, wait, record, pause, at most `rounds` times and until stop_at.

    `answer(text, wanted)` types `text` and returns ('ok' | 'wrong' | what went wrong, seconds).
    """
    await asyncio.wait_for(start.opened.wait(), timeout=4 * answer_timeout)
    for round_index in range(rounds):
        if time.monotonic() > start.stop_at:
            break
        text, wanted = round_input(page_name, user, round_index, offset, expected)
        outcome, seconds = await answer(text, wanted)
        if outcome == "ok":
            phase.latencies.append(seconds)
            phase.answered_at.append(time.monotonic())
        elif outcome == "wrong":
            phase.wrong.append(f"user {user} round {round_index}: expected {wanted!r}")
        else:
            phase.errors.append(f"user {user} round {round_index}: {outcome}")
        await asyncio.sleep(random.uniform(0.5, 1.5))


async def one_user(
    browser,
    base: str,
    page_name: str,
    user: int,
    rounds: int,
    start: Start,
    expected: dict,
    phase: Phase,
    answer_timeout: float,
    offset: int,
) -> None:
    """One student: open the page, then type, wait for the answer, pause; bounded in rounds and time."""
    context = await browser.new_context(viewport={"width": 1280, "height": 800})
    try:
        page = await context.new_page()
        page.set_default_timeout(answer_timeout * 1000)
        try:
            await page.goto(f"{base}/{URLS.get(page_name, page_name)}", wait_until="domcontentloaded")
            await page.wait_for_function(IDLE, polling=100)
        finally:
            start.arrive()
        label, check, submit = BOXES[page_name]
        box = page.locator(MAIN).get_by_role("textbox", name=label)

        async def answer(text: str, wanted: str) -> tuple[str, float]:
            await box.fill(text)
            began = time.perf_counter()
            await box.press(submit)
            outcome = await settle(page, check, wanted, answer_timeout)
            seconds = time.perf_counter() - began
            return (outcome, seconds) if outcome != "timeout" else (f"no answer within {answer_timeout:.0f} s", seconds)

        await typing_rounds(answer, page_name, user, rounds, start, expected, phase, answer_timeout, offset)
    except Exception as error:  # a broken session is counted, the others go on
        phase.errors.append(f"user {user}: {type(error).__name__}: {str(error)[:200]}")
    finally:
        await context.close()


def protocol_check(page_name: str, run, wanted: str) -> bool:
    """Whether a protocol run drew the answer the browser check looks for (Translate: the exact heading)."""
    if page_name == "translate":
        return run.has_markdown("### " + (wanted if wanted == "(no words)" else escape(wanted)))
    return run.shows(wanted)


async def one_protocol_user(
    base: str,
    page_name: str,
    user: int,
    rounds: int,
    start: Start,
    expected: dict,
    phase: Phase,
    answer_timeout: float,
    offset: int,
) -> None:
    """One student over Streamlit's websocket protocol (bench/wsclient.py): open, type, wait, pause; bounded."""
    session = Session(base, URLS.get(page_name, page_name))
    try:
        try:
            opened = await session.open(answer_timeout)
            if opened.status != "finished":
                raise RuntimeError(f"the page did not open ({opened.status})")
        finally:
            start.arrive()

        async def answer(text: str, wanted: str) -> tuple[str, float]:
            run = await session.type_into(BOXES[page_name][0], text, answer_timeout)
            if run.status != "finished":
                return f"{run.status} after {run.seconds:.1f} s", run.seconds
            return ("ok" if protocol_check(page_name, run, wanted) else "wrong"), run.seconds

        await typing_rounds(answer, page_name, user, rounds, start, expected, phase, answer_timeout, offset)
    except Exception as error:  # a broken session is counted, the others go on
        phase.errors.append(f"user {user}: {type(error).__name__}: {str(error)[:200]}")
    finally:
        await session.close()


async def _protocol_students(student_arguments: list[tuple]) -> None:
    """Every protocol student at once (no browser to launch)."""
    await asyncio.gather(*(one_protocol_user(*arguments) for arguments in student_arguments))


async def run_phase(
    base: str,
    pids: list[int],
    pages: list[str],
    users: int,
    rounds: int,
    seconds: float,
    expected: dict,
    answer_timeout: float,
    offset: int,
    client: str = "protocol",
) -> tuple[dict[str, Phase], float, float]:
    """`users` students on each page at once: what each page measured, server CPU s once all typed, when typing began."""
    phases = {name: Phase() for name in pages}
    start = Start(users * len(pages), pids, seconds)
    students = [
        (base, name, user, rounds, start, expected, phases[name], answer_timeout, offset)
        for name in pages
        for user in range(users)
    ]
    if client == "protocol":
        await _protocol_students(students)
    else:
        await _browser_students(students)
    return phases, total_cpu_seconds(pids) - start.cpu_at_start, start.started


async def _browser_students(student_arguments: list[tuple]) -> None:
    """Every student a page of one headless Chromium."""
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        try:
            await asyncio.gather(*(one_user(browser, *arguments) for arguments in student_arguments))
        finally:
            await browser.close()


def percentile(values: list[float], share: float) -> float:
    """The `share` quantile (nearest rank) of values."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))]


def report(name: str, users: int, phase: Phase, one_user_p50: float | None, cpu: float, throughput: float) -> None:
    """One line per page and N (cpu: server CPU seconds per interaction; throughput: answers per second)."""
    if not phase.latencies:
        print(f"{name:12s} N={users:3d}  no answers; errors {len(phase.errors)}, wrong {len(phase.wrong)}")
        for line in (phase.errors + phase.wrong)[:3]:
            print(f"    {line}")
        return
    p50, p95, worst = (percentile(phase.latencies, 0.5), percentile(phase.latencies, 0.95), max(phase.latencies))
    ratio = f"{p50 / one_user_p50:5.1f}x" if one_user_p50 else "   - "
    print(
        f"{name:12s} N={users:3d}  answers {len(phase.latencies):4d}  p50 {p50:6.3f} s  p95 {p95:6.3f} s  "
        f"max {worst:6.3f} s  p50/one-user {ratio}  errors {len(phase.errors)}  wrong {len(phase.wrong)}  "
        f"server CPU {1000 * cpu:5.0f} ms/interaction  throughput {throughput:5.2f}/s"
    )
    for line in (phase.errors + phase.wrong)[:3]:
        print(f"    {line}")


Results = dict[tuple[str, int], tuple[float, float, float, float]]  # (page, N) -> p50 s, CPU s, answers/s, load


def measure(root: Path, label: str, arguments: argparse.Namespace, expected: dict, processes: int | None) -> Results:
    """Start `root`'s app (or a deployment of it), run each N in turn, print one line per page and N."""
    target = serve(root, arguments.option, processes)
    where = "one streamlit run" if processes is None else f"{processes} Streamlit process(es) behind nginx"
    print(f"{label}: {root} on {target.url}, {where}; {os.cpu_count()} CPUs; load average {os.getloadavg()[0]:.1f}")
    pages, results, one_user = arguments.pages, {}, {}
    try:
        for url in target.warm_urls:  # every process opens the pages once (a cold model would count otherwise)
            asyncio.run(
                run_phase(url, target.pids, pages, 1, 1, 60.0, expected, arguments.answer_timeout, 0, arguments.client)
            )
        for phase_index, users in enumerate(arguments.users, start=1):
            phases, spent, began = asyncio.run(
                run_phase(
                    target.url, target.pids, pages, users, arguments.rounds, arguments.seconds, expected,
                    arguments.answer_timeout, 1000 * phase_index, arguments.client,
                )
            )  # fmt: skip
            count, load = sum(len(p.latencies) + len(p.wrong) for p in phases.values()) or 1, os.getloadavg()[0]
            for name, phase in phases.items():
                if users == 1 and phase.latencies:
                    one_user[name] = statistics.median(phase.latencies)
                throughput = answers_per_second(phase, began)
                report(name, users, phase, one_user.get(name), spent / count, throughput)
                if phase.latencies:
                    results[(name, users)] = (statistics.median(phase.latencies), spent / count, throughput, load)
            print(
                f"  (N={users}: load average {load:.1f}; server CPU counted once every student had "
                "opened the page, shared between the pages run together)"
            )
    finally:
        target.stop()
    return results


def answers_per_second(phase: Phase, began: float) -> float:
    """Right answers per second, from when typing began to the last answer (the pause after it not counted)."""
    return len(phase.answered_at) / (max(phase.answered_at) - began) if phase.answered_at else 0.0


def print_scaling(one: Results, many: Results, processes: int) -> None:
    """Throughput of `processes` processes over one process's, per page and N (both behind nginx)."""
    print(f"throughput, {processes} processes / 1 process (both behind nginx; the issue asks >= 1.7 for Translate at 2):")
    for (name, users), (_, _, alone, load_alone) in sorted(one.items()):
        if (name, users) in many:
            _, _, together, load_together = many[(name, users)]
            print(
                f"  {name:12s} N={users:3d}  {alone:5.2f}/s -> {together:5.2f}/s  ratio {together / alone:4.2f}x  "
                f"(load average {load_alone:.1f} and {load_together:.1f})"
            )


def parser() -> argparse.ArgumentParser:
    """The command line (bench/reruns.py reuses it)."""
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--users", type=int, nargs="+", default=[1, 10, 30], help="the N to try, in order")
    options.add_argument("--pages", nargs="+", default=["translate", "inside-cell"], choices=sorted(BOXES))
    options.add_argument(
        "--client",
        choices=["protocol", "browser"],
        default="protocol",
        help="students speak Streamlit's websocket protocol (light; default) or are headless Chromium pages",
    )
    options.add_argument("--rounds", type=int, default=8, help="inputs each student types (at most)")
    options.add_argument("--seconds", type=float, default=90.0, help="time limit of one phase")
    options.add_argument("--answer-timeout", type=float, default=60.0, help="an answer later than this is an error")
    options.add_argument(
        "--baseline", type=Path, default=None, help="another checkout of the app (e.g. ../main) measured first, the same way"
    )
    options.add_argument("--deploy", type=int, default=0, metavar="N", help="measure 1 process, then N, behind nginx (deploy/)")
    options.add_argument(
        "--option",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a Streamlit option for the server, e.g. runner.postScriptGC=false",
    )
    return options


def main() -> None:
    """Optionally a baseline checkout, then this one: each N in turn, one line per page and N."""
    arguments = parser().parse_args()
    if arguments.client == "browser" and chromium_path() is None:
        sys.exit("Chromium is not installed (apt-get install chromium): the students are Chromium pages.")
    random.seed(0)
    expected = expected_answers()
    print(cpu_line())
    print(f"the model's own answer: {expected['answer_ms']:.1f} ms CPU per sentence (greedy, this process)")
    if arguments.deploy:
        import deploy

        if deploy.nginx_path() is None:
            sys.exit("--deploy needs nginx (apt-get install nginx): the deployment is N processes behind it.")
        one = measure(ROOT, "1 process", arguments, expected, processes=1)
        many = measure(ROOT, f"{arguments.deploy} processes", arguments, expected, processes=arguments.deploy)
        print_scaling(one, many, arguments.deploy)
        return
    if arguments.baseline is not None:
        measure(arguments.baseline.resolve(), "baseline", arguments, expected, processes=None)
    measure(ROOT, "this checkout", arguments, expected, processes=None)


if __name__ == "__main__":
    main()
