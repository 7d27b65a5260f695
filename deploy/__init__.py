"""Serve rnnviz to a class: N Streamlit processes behind nginx with sticky sessions (`python -m deploy N`)."""

from deploy.nginx_config import COOKIE, UPSTREAM_HEADER, ProxySettings, last_upstream, render
from deploy.processes import Deployment, nginx_path, start

__all__ = ["COOKIE", "UPSTREAM_HEADER", "Deployment", "ProxySettings", "last_upstream", "nginx_path", "render", "start"]
