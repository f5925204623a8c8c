"""`kissgame lsp`: a language server for story folders (diagnostics, completion,
definitions, references, rename, hover and symbols), over stdio.

``index`` finds every name in a file's text, ``context`` reads what is being typed,
``folder`` answers questions about one story folder, and ``server`` speaks the
protocol with pygls. Nothing here imports Textual.
"""

from __future__ import annotations


def serve() -> int:
    """Run the server on stdin/stdout until the client says exit."""
    from .server import server

    server.start_io()
    return 0
