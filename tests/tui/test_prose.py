from kissgame.tui.widgets.prose import inline


def test_bold_and_italic_in_prose():
    text = inline("**Min Ho + Kitty.** He said *it*. [not markup]")
    assert text.plain == "Min Ho + Kitty. He said it. [not markup]"
    styles = {(span.start, span.end, str(span.style)) for span in text.spans}
    assert styles == {(0, 15, "bold"), (24, 26, "italic")}
