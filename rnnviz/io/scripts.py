"""Reproduction scripts: a trained run's settings written out as a plain Python program that redoes it.

Every page that trains writes its run this way (its own feature module says which rnnviz calls redo the
run); this module only makes the text safe and checks it: settings become Python literals, and the
script must compile before anyone can download it.
"""

from __future__ import annotations

import ast
import math
import textwrap
from collections.abc import Mapping, Sequence

HEADER = '''"""{summary}

Made by rnnviz ({page}). Run it with the same rnnviz version:  python {file_name}
The same seed on a CPU gives the same curve (threads: 1, as the app's server trains).
"""
'''
THREADS = "torch.set_num_threads(1)  # as the app's server trains: the same seed gives the same curve"


def literal(value: object) -> str:
    """`value` as Python source that evaluates back to it (numbers, text, bools, None, lists, tuples, dicts)."""
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"{value!r} has no Python literal; a run's settings must be finite numbers")
    text = repr(value)
    if ast.literal_eval(text) != value:
        raise ValueError(f"{value!r} does not survive being written as Python source")
    return text


def keyword_arguments(settings: Mapping[str, object], indent: int = 4) -> str:
    """`name=value,` lines, one per setting, for a call written out in a script."""
    pad = " " * indent
    return "\n".join(f"{pad}{name}={literal(value)}," for name, value in settings.items())


def reproduction_script(*, summary: str, page: str, file_name: str, imports: Sequence[str], body: str) -> str:
    """The whole script: header, imports, one torch thread as the server trains, body; SyntaxError if it would not compile."""
    header = HEADER.format(summary=summary.replace('"""', "'''"), page=page, file_name=file_name)
    imports = list(imports) if "import torch" in imports else ["import torch", *imports]
    text = header + "\n" + "\n".join(imports) + "\n\n" + THREADS + "\n" + textwrap.dedent(body).strip() + "\n"
    compile(text, file_name, "exec")
    return text
