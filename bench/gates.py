"""Speed of Inside the cell, measured in one run (issue 4).

Targets: trace of 500 characters through a 1-layer, 256-unit LSTM <= 100 ms;
the page answers a newly typed text in <= 300 ms (AppTest: script run, figures serialised;
the browser's drawing comes on top). Baselines measured in the same run: the fused fast path
on the same text (what the trace costs over a plain forward pass) and a rerun of the page
with an unchanged text (what the page costs without a new trace).   Run: python bench/gates.py
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from timing import cpu_line, median_seconds  # noqa: E402  (bench/timing.py)

from rnnviz.charlm.model import CharLM, char_vocabulary  # noqa: E402
from rnnviz.charlm.trace import trace_text  # noqa: E402
from rnnviz.data.languages import BRACKET_ALPHABET, bracket_text  # noqa: E402

TRACE_TARGET_MS, PAGE_TARGET_MS = 100.0, 300.0


def median_ms(function, repeats: int) -> float:
    """Median wall time of `function` in milliseconds, after two warm-up calls."""
    return 1000 * median_seconds(function, repeats)


def trace_figures(repeats: int) -> dict[str, float]:
    """Trace of 500 characters per cell kind (256 units), and the fused LSTM forward as the baseline."""
    text = bracket_text(600, seed=1).text[:500]
    vocab = char_vocabulary(BRACKET_ALPHABET)
    results = {}
    for kind in ("lstm", "gru", "sru", "rnn"):
        torch.manual_seed(0)
        model = CharLM(kind, len(vocab), 256, 1, 32).eval()
        results[f"{kind} trace"] = median_ms(lambda m=model: trace_text(m, vocab, text), repeats)
        if kind == "lstm":
            ids = torch.tensor([vocab.encode(text)])

            def fast(m=model, ids=ids) -> None:
                with torch.inference_mode():
                    m(ids)
            results["lstm fast path"] = median_ms(fast, repeats)

            def unroll_all_threads(m=model, ids=ids) -> None:  # the trace with every CPU thread instead of one
                with torch.inference_mode():
                    m(ids, trace=True)
            threads = torch.get_num_threads()
            torch.set_num_threads(os.cpu_count() or 1)
            results["lstm trace, all threads"] = median_ms(unroll_all_threads, repeats)
            torch.set_num_threads(threads)
    return results


def page_figures(repeats: int) -> dict[str, float]:
    """The page under AppTest: a new 500-character text each run, and a rerun with the same text."""
    from streamlit.testing.v1 import AppTest

    os.chdir(ROOT)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    at.switch_page("app_pages/inside_cell.py").run()
    if at.exception or not at.get("plotly_chart"):
        raise SystemExit("the page did not render; are there checkpoints in checkpoints/?")
    texts = iter(bracket_text(700, seed=100 + i).text[:500] for i in range(10_000))

    def new_text() -> None:
        at.text_area(key="ic_text").input(next(texts)).run()

    def same_text() -> None:
        at.run()
    return {"page, new text": median_ms(new_text, repeats), "page, same text": median_ms(same_text, repeats)}


def main() -> None:
    """Measure and print figures and ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args()
    torch.set_num_threads(1)  # as the app's server runs (ui/sidebar.py)
    print(cpu_line())
    figures = trace_figures(args.repeats)
    figures.update(page_figures(args.repeats))
    for name, value in figures.items():
        print(f"{name:>18}: {value:7.1f} ms")
    trace, page = figures["lstm trace"], figures["page, new text"]
    rows = [("trace 500 chars, LSTM-256 / target 100 ms", trace / TRACE_TARGET_MS, 1.0),
            ("trace / fused fast path (same model and text)", trace / figures["lstm fast path"], None),
            ("unroll on all CPU threads / trace on one thread", figures["lstm trace, all threads"] / trace, None),
            ("page with a new text / target 300 ms", page / PAGE_TARGET_MS, 1.0),
            ("page new text / page same text", page / figures["page, same text"], None)]
    for name, ratio, target in rows:
        verdict = "" if target is None else ("  ok" if ratio <= target else "  TOO SLOW")
        print(f"{name:<48} {ratio:6.2f}{verdict}")


if __name__ == "__main__":
    main()
