"""The Textual face of kissgame. Only this package imports Textual."""
