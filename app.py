"""rnnviz: entry point for `streamlit run app.py [-- --checkpoints DIR]`: options, navigation, sidebar, errors.

Home imports neither torch nor any other page's modules (tests/unit/test_startup.py); after the first run,
`shell.warm_up_later` loads them in the background so a click finds them ready.
"""

import sys

from ui import shell, sidebar

with shell.script_run():
    shell.apply_options(sys.argv[1:])
    shell.configure_page()
    asked = shell.asked_query()  # before any widget takes (or drops) its value from the link
    page = shell.navigation()
    link_slot = sidebar.render()
    shell.run_page(page, link_slot, asked)
shell.warm_up_later()
