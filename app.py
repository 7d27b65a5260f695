"""rnnviz: entry point for `streamlit run app.py [-- --checkpoints DIR]`: options, navigation, sidebar, errors."""

import sys

from ui import shell, sidebar, training

shell.apply_options(sys.argv[1:])
shell.configure_page()
training.warm_up()
page = shell.navigation()
sidebar.render()
shell.run_page(page)
