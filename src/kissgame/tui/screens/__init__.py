"""Screens: title, play, and the dialogs pushed over them."""
