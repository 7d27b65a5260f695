"""A Streamlit session spoken over its own websocket protocol: a light simulated student for bench/load.py.

It does what the browser does for one tab, and no more: opens `/_stcore/stream`, asks for a page
(`BackMsg.rerun_script` with the page's url path), keeps every element the server sends by its
delta path, and types into a text box by sending that widget's new value (with the fragment id of the
delta that drew the box, so a box inside `st.fragment` reruns only its fragment, as the browser does).
A run ends with the server's `script_finished`. It draws nothing, runs no JavaScript and fetches no
media, so 30 of them cost the client a few percent of a core where 30 Chromium pages cost more than the
server does.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from urllib.parse import urlsplit
from urllib.request import Request, urlopen

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.Element_pb2 import Element
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState

FINISHED = {ForwardMsg.FINISHED_SUCCESSFULLY, ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY}


@dataclass
class Run:
    """What one script run sent: the elements it drew (by delta path), how it ended, how long it took."""

    elements: dict[tuple[int, ...], bytes] = field(default_factory=dict)
    status: str = "timeout"  # "finished", "exception" (an st.exception element was drawn), "rerun", "timeout"
    seconds: float = 0.0

    def shows(self, text: str) -> bool:
        """True if any element this run drew contains `text` (UTF-8, in its serialised protobuf)."""
        wanted = text.encode()
        return any(wanted in data for data in self.elements.values())

    def has_markdown(self, body: str) -> bool:
        """True if this run drew a Markdown element whose source is exactly `body`."""
        for data in self.elements.values():
            if body.encode() in data:
                element = Element()
                element.ParseFromString(data)
                if element.WhichOneof("type") == "markdown" and element.markdown.body == body:
                    return True
        return False


@dataclass
class Box:
    """A text box the page drew: its widget id and the fragment it lives in ('' for the whole script)."""

    widget_id: str
    fragment_id: str


def _cookie_for(http_url: str) -> str:
    """GET the page once, as a browser does first, and return the cookies it set (a proxy's sticky cookie)."""
    with urlopen(Request(http_url, headers={"User-Agent": "rnnviz-load"}), timeout=30) as response:
        jar = SimpleCookie()
        for header in response.headers.get_all("Set-Cookie") or []:
            jar.load(header)
    return "; ".join(f"{name}={morsel.value}" for name, morsel in jar.items())


class Session:
    """One tab of one student, speaking Streamlit's protocol."""

    def __init__(self, base_url: str, page: str) -> None:
        self.base_url, self.page = base_url.rstrip("/"), page
        self.socket = None
        self.boxes: dict[str, Box] = {}  # label -> box, from the elements drawn so far
        self.widget_values: dict[str, str] = {}  # widget id -> the value typed (the browser re-sends them)

    async def open(self, timeout: float) -> Run:
        """Connect (with the proxy's cookie, if any) and run the page once, as a browser opening its url."""
        parts = urlsplit(self.base_url)
        cookie = await asyncio.to_thread(_cookie_for, f"{self.base_url}/{self.page}")
        headers = {"Cookie": cookie} if cookie else {}
        headers["Origin"] = f"{parts.scheme}://{parts.netloc}"
        self.socket = await websockets.connect(
            f"ws://{parts.netloc}{parts.path}/_stcore/stream",
            subprotocols=["streamlit"],
            additional_headers=headers,
            max_size=None,
            open_timeout=timeout,
        )
        return await self._run("", timeout)

    async def type_into(self, label: str, text: str, timeout: float) -> Run:
        """Type `text` into the box labelled `label` and submit it; the run it starts."""
        box = self.boxes.get(label)
        if box is None:
            raise LookupError(f"the page drew no text box labelled {label!r} (it drew {sorted(self.boxes)})")
        self.widget_values[box.widget_id] = text
        return await self._run(box.fragment_id, timeout)

    async def close(self) -> None:
        """Close the websocket (the server sees the tab go)."""
        if self.socket is not None:
            await self.socket.close()

    async def _run(self, fragment_id: str, timeout: float) -> Run:
        """Ask for a run (the whole script, or one fragment) and read messages until it finishes."""
        message = BackMsg()
        state = message.rerun_script
        state.page_name, state.fragment_id = self.page, fragment_id
        for widget_id, value in self.widget_values.items():
            state.widget_states.widgets.append(WidgetState(id=widget_id, string_value=value))
        began = time.perf_counter()
        await self.socket.send(message.SerializeToString())
        run = Run()
        try:
            await asyncio.wait_for(self._read_until_finished(run), timeout)
        except TimeoutError:
            run.status = "timeout"
        run.seconds = time.perf_counter() - began
        return run

    async def _read_until_finished(self, run: Run) -> None:
        """Collect the run's elements; stop at its `script_finished` (a run cut short by a rerun goes on)."""
        while True:
            received = ForwardMsg()
            received.ParseFromString(await self.socket.recv())
            kind = received.WhichOneof("type")
            if kind == "delta":
                self._keep(received, run)
            elif kind == "script_finished":
                if received.script_finished in FINISHED:
                    run.status = "exception" if run.status == "exception" else "finished"
                    return
                run.status = "rerun"

    def _keep(self, received: ForwardMsg, run: Run) -> None:
        """Store one drawn element and remember the text boxes among them."""
        delta = received.delta
        if delta.WhichOneof("type") != "new_element":
            return
        element = delta.new_element
        run.elements[tuple(received.metadata.delta_path)] = element.SerializeToString()
        kind = element.WhichOneof("type")
        if kind == "exception":
            run.status = "exception"
        elif kind in ("text_input", "text_area"):
            widget = getattr(element, kind)
            self.boxes[widget.label] = Box(widget.id, delta.fragment_id)
