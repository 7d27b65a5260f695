"""Home: the lecture's contents list, each topic linked to the page that teaches it."""

from ui import home

home.render()
