"""rnnviz: entry point for `streamlit run app.py`. Navigation, shared sidebar, and the error boundary."""

from ui import shell, sidebar

shell.configure_page()
page = shell.navigation()
sidebar.render()
shell.run_page(page)
