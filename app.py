"""rnnviz: entry point for `streamlit run app.py`. Navigation, shared sidebar, and the error boundary."""

from ui import shell
from ui import sidebar
from ui import training

shell.configure_page()
training.warm_up()
page = shell.navigation()
sidebar.render()
shell.run_page(page)
