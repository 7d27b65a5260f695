"""Streamlit helpers for the rnnviz app: catalog of pages, shell, sidebar. The rnnviz package never imports this."""
