"""kissgame: a terminal story game and narrative engine."""

__version__ = "0.1.0"
