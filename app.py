"""rnnviz: entry point for `streamlit run app.py [-- --checkpoints DIR]`: options, navigation, sidebar, errors."""

import sys

from ui import shell, sidebar, training

shell.apply_options(sys.argv[1:])
shell.configure_page()
training.warm_up()
asked = shell.asked_query()  # before any widget takes (or drops) its value from the link
page = shell.navigation()
link_slot = sidebar.render()
shell.run_page(page, link_slot, asked)
