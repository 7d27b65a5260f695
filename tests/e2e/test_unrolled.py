"""The Unrolled graph in a real browser: hover a node for its numbers, click W's label, click a node for equations."""

from __future__ import annotations

from tests.e2e import browser as br

POINT = """([traceName, key]) => {
    const gd = document.querySelectorAll('.js-plotly-plot')[0];
    const trace = gd._fullData.find(t => t.name === traceName);
    const list = traceName === 'weight labels' ? Array.from(trace.text) : Array.from(trace.customdata);
    const i = list.indexOf(key);
    const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis, box = gd.getBoundingClientRect();
    return [box.left + xa._offset + xa.l2p(trace.x[i]), box.top + ya._offset + ya.l2p(trace.y[i])];
}"""
TRACE_NAMES = "() => document.querySelectorAll('.js-plotly-plot')[0].data.map(t => t.name)"


def point(page, trace_name: str, key: str) -> tuple[float, float]:
    """Screen coordinates of one point of the graph: a node by id, or a weight label by its letter."""
    return tuple(page.evaluate(POINT, [trace_name, key]))


def click(page, x: float, y: float) -> None:
    """Move onto a point, click it, wait for the rerun."""
    page.mouse.move(x - 4, y - 4)
    page.mouse.move(x, y, steps=4)
    page.wait_for_timeout(300)
    page.mouse.click(x, y)
    br.wait_until_idle(page)
    br.assert_no_exception(page)


def test_hover_a_node_click_a_weight_label_click_a_node(goto) -> None:
    """The tooltip shows the node's norm; U's label lights all uses of U; an h node opens its equations."""
    page = goto("unrolled", timeout=120)
    br.assert_no_exception(page)
    page.locator(".js-plotly-plot").first.scroll_into_view_if_needed()
    page.wait_for_timeout(300)
    x, y = point(page, "hidden state h_t", "h[0,forward][2]")
    page.mouse.move(x - 5, y - 5)
    page.mouse.move(x, y, steps=5)
    page.wait_for_timeout(500)
    tooltip = page.locator(".hoverlayer").first.text_content() or ""
    assert "‖h₂‖ =" in tooltip and "numbers" in tooltip
    assert "uses of W (highlighted)" in page.evaluate(TRACE_NAMES)
    click(page, *point(page, "weight labels", "U"))
    assert "uses of U (highlighted)" in page.evaluate(TRACE_NAMES)
    shown = page.locator(".st-key-unrolled-highlight").evaluate(
        "e => e.textContent + ' ' + Array.from(e.querySelectorAll('input')).map(i => i.value).join(' ')")
    assert "U (W_xh)" in shown  # the menu follows the click
    page.locator(".js-plotly-plot").first.scroll_into_view_if_needed()
    click(page, *point(page, "hidden state h_t", "h[0,forward][3]"))
    assert page.locator(".katex").count() >= 2 and page.locator(".katex-error").count() == 0
    assert page.get_by_text("Hidden state h₃, layer 1, forward, unit 0").count() == 1
    br.save_screenshot(page, "unrolled", full_page=True, readme="unrolled.png")


def test_bptt_tab_states_the_check_and_draws_the_terms(goto) -> None:
    """The BPTT tab opens with the t × k map and the sentence comparing it with autograd."""
    page = goto("unrolled", timeout=120)
    page.get_by_role("tab", name="BPTT in numbers").click()
    br.wait_until_idle(page)
    br.assert_no_exception(page)
    assert page.get_by_text("add up to autograd").count() == 1
    assert page.locator(".js-plotly-plot").count() >= 3
    br.save_screenshot(page, "unrolled-bptt", full_page=True)


def test_train_an_io_task_and_run_it_on_an_input(goto) -> None:
    """Five I/O types: Train the default (one-to-one) task live, then its answer appears for the example input."""
    page = goto("unrolled", timeout=120)
    page.get_by_role("tab", name="Five I/O types").click()
    br.wait_until_idle(page)
    page.get_by_role("button", name="Train", exact=True).click()
    answer = page.get_by_text("Answer:")
    for _ in range(120):  # the run trains in the background; the live panel reruns the page
        if answer.count():
            break
        page.wait_for_timeout(500)
    br.wait_until_idle(page)
    br.assert_no_exception(page)
    assert answer.count() == 1 and page.get_by_text("Held-out").count() >= 1
    br.save_screenshot(page, "unrolled-io", full_page=True)
