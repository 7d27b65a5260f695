"""Tests that start several processes (the deployment behind nginx)."""
