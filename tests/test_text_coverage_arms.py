"""Text coverage counts every variation option, both sides of an if(...) written into
text, replies, once lines and first groups, and reports the ones never shown where they
are written (KG206)."""

from __future__ import annotations

from kissgame.engine import build_story
from kissgame.explorer import explore

MANIFEST = {"format": 1, "id": "t", "title": "T", "start": "hub",
            "vars": {"brave": False},
            "endings": {"done": {"title": "Done"}}}


def _report(scenes):
    story, diagnostics = build_story(MANIFEST, [("s.yaml", {"scenes": scenes})])
    assert not diagnostics, [d.format() for d in diagnostics]
    report = explore(story)
    assert report.arms is not None
    unshown = [report.arms.arms[i] for i in range(len(report.arms.arms))
               if i not in report.arms_shown]
    return story, report, unshown


def test_every_option_of_a_variation_is_an_arm_and_a_loop_shows_them_all():
    # nothing but the visit count changes when waiting: the explorer must still tell the
    # visits apart, up to the number of options, to show the third one
    scenes = [{"id": "hub", "text": "{&Mon|Tue|Wed} {!New paint.|Still new.}", "choices": [
        {"label": "Wait", "id": "wait", "to": "hub"},
        {"label": "Go", "to": "out"}]},
        {"id": "out", "ending": "done", "text": "Out."}]
    _story, report, unshown = _report(scenes)
    assert len(report.arms.arms) == 5
    assert unshown == []


def test_both_sides_of_if_in_text_and_unshown_ones_are_located():
    scenes = [{"id": "hub", "text": "I am {if(brave, 'bold', 'shy')}.", "choices": [
        {"label": "Go", "to": "out",
         "reply": "{if(brave, 'Off I go!', 'Off I creep.')}"}]},
        {"id": "out", "ending": "done", "text": "Out."}]
    story, report, unshown = _report(scenes)
    assert len(report.arms.arms) == 4  # two in the prose, two in the reply
    assert [a.condition for a in unshown] == ["if(brave, ...) when true"] * 2
    findings = [d for d in report.diagnostics(story) if d.code == "KG206"]
    assert len(findings) == 2
    assert all(d.span.line > 0 and d.span.col > 1 for d in findings)


def test_once_lines_first_groups_and_fallback_scenes_are_counted():
    scenes = [{"id": "hub", "text": [
        {"once": "First time here."},
        {"first": [{"if": "brave", "then": "Brave."}, "Not brave."]},
        "{Hm.|Ha.}"],  # the second visit is only passed through, by the fallback
        "choices": [
            {"label": "Ask", "id": "ask", "once": True, "reply": "Well."},
            {"fallback": True, "to": "out", "reply": "Time's up."}]},
        {"id": "out", "ending": "done", "text": "Out."}]
    _story, report, unshown = _report(scenes)
    # once; first: 'brave' and its fallback; the sequence's two options
    assert len(report.arms.arms) == 5
    assert [a.condition for a in unshown] == ["brave"]
