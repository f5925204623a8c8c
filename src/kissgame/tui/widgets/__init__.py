"""Widgets that render engine values (Beats, states); they hold no story logic."""
