"""rnnviz: recurrent networks written from the lecture's equations, with probes and plots.

The package never imports Streamlit: pages call into it, notebooks can too.
"""

__version__ = "0.1.0"
