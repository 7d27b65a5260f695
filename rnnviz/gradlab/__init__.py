"""The gradient lab: run settings, presets that each check one claim of the lecture, the gradient recorder."""
