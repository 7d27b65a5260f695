"""The gradient lab's widgets, live view and kept runs."""
