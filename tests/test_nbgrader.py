"""The exercises, through nbgrader itself: the student version is made,
runs with every check failing with its message, and autograde scores
full marks, zero, and exactly one exercise's loss; a submission that does
not compile, panics or loops loses only those exercises, with the errors
in the feedback, and leaves no kernel running."""

import os
import re
import shutil
import subprocess

import nbformat
import pytest
from nbclient import NotebookClient

from conftest import ROOT

EXERCISES = ROOT / "notebooks" / "exercises"
ASSIGNMENT = "views-and-copies"
NOTEBOOK = f"{ASSIGNMENT}.ipynb"
NBGRADER = str(ROOT / ".venv" / "bin" / "nbgrader")
TOTAL = 14
# nbgrader runs alembic, from the same environment, by name.
ENV = {**os.environ, "PATH": f"{ROOT / '.venv' / 'bin'}{os.pathsep}{os.environ['PATH']}"}


def solution_of(cell):
    """What a student who got it right types: the region between the
    delimiters."""
    lines = cell.source.splitlines()
    start = next(i for i, l in enumerate(lines) if "BEGIN SOLUTION" in l)
    end = next(i for i, l in enumerate(lines) if "END SOLUTION" in l)
    return lines, start, end


def answered(release, source, answers=None):
    """The released notebook with every solution typed in, or `answers[grade_id]`
    (the body's replacement) where given."""
    answers = answers or {}
    solutions = {c.metadata["nbgrader"]["grade_id"]: c for c in source.cells
                 if c.metadata.get("nbgrader", {}).get("solution")}
    notebook = nbformat.from_dict(release)
    for cell in notebook.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in solutions:
            lines, start, end = solution_of(solutions[grade_id])
            body = answers.get(grade_id, "\n".join(lines[start + 1:end]))
            cell.source = "\n".join(lines[:start] + [body] + lines[end + 1:])
    return notebook


def ndlens_processes():
    ps = subprocess.run(["ps", "-eo", "pid,args"], capture_output=True, text=True, check=True).stdout
    return {line.split()[0] for line in ps.splitlines() if "/ndlens " in line and "test-kernel" in line}


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    course = tmp_path_factory.mktemp("course")
    shutil.copytree(EXERCISES / "source", course / "source")
    config = (EXERCISES / "nbgrader_config.py").read_text()
    (course / "nbgrader_config.py").write_text(
        config + f"\nc.CourseDirectory.root = {str(course)!r}\nc.Execute.timeout = 20\n")
    subprocess.run([NBGRADER, "generate_assignment", ASSIGNMENT, "--force"], cwd=course, check=True,
                   capture_output=True, env=ENV)
    return course


@pytest.fixture(scope="module")
def graded(course):
    """Four submissions, autograded: (gradebook scores, autograded notebooks)."""
    source = nbformat.read(course / "source" / ASSIGNMENT / NOTEBOOK, as_version=4)
    release = nbformat.read(course / "release" / ASSIGNMENT / NOTEBOOK, as_version=4)
    submissions = {
        "full": answered(release, source),
        "blank": release,
        "wrong": answered(release, source, {"ex5": "    [32, 8]"}),
        "broken": answered(release, source, {
            "ex3": "    a.slice(s![..;2]",                      # does not compile
            "ex4": '    panic!("an answer that panics")',
            "ex7": "    loop {}",                               # never returns
        }),
    }
    for student, notebook in submissions.items():
        folder = course / "submitted" / student / ASSIGNMENT
        folder.mkdir(parents=True)
        nbformat.write(notebook, folder / NOTEBOOK)
    before = ndlens_processes()
    subprocess.run([NBGRADER, "autograde", ASSIGNMENT, "--create", "--force"], cwd=course, check=True,
                   capture_output=True, env=ENV)
    left_running = ndlens_processes() - before
    from nbgrader.api import Gradebook
    scores = {}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        for student in submissions:
            notebook = gradebook.find_submission_notebook(ASSIGNMENT, ASSIGNMENT, student)
            scores[student] = {
                "total": notebook.score,
                **{grade.name: grade.score for grade in notebook.grades},
            }
    autograded = {s: nbformat.read(course / "autograded" / s / ASSIGNMENT / NOTEBOOK, as_version=4)
                  for s in submissions}
    return scores, autograded, left_running


def check_errors(notebook):
    """grade id of each check cell → its error's evalue, or None."""
    errors = {}
    for cell in notebook.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade") and cell.cell_type == "code":
            found = [o for o in cell.outputs if o["output_type"] == "error"]
            errors[meta["grade_id"]] = found[0]["evalue"] if found else None
    return errors


def test_the_student_version_runs_with_every_check_saying_what_is_missing(course, tmp_path, monkeypatch):
    release = nbformat.read(course / "release" / ASSIGNMENT / NOTEBOOK, as_version=4)
    assert "BEGIN SOLUTION" not in "".join(c.source for c in release.cells)
    assert sum("todo!()" in c.source for c in release.cells if c.cell_type == "code") == 12
    # `ndlens install` compiled the student's version too: a student's
    # session finds every cell in the install's cache, none in their own.
    monkeypatch.setenv("NDLENS_CACHE_DIR", str(tmp_path))
    NotebookClient(release, timeout=120, allow_errors=True).execute()
    assert sorted(p.name for p in tmp_path.rglob("lib*.so")) == []
    errors = check_errors(release)
    assert len(errors) == 12
    for grade_id, evalue in errors.items():
        assert evalue and "is not answered yet: replace its `todo!()` with your answer" in evalue, (grade_id, evalue)
    # Only the checks fail: the setup and the unanswered functions compile.
    others = [c for c in release.cells if c.cell_type == "code" and not c.metadata["nbgrader"].get("grade")]
    assert not [o for c in others for o in c.outputs if o["output_type"] == "error"]


def test_all_solutions_score_full_marks(graded):
    scores, autograded, _ = graded
    assert scores["full"]["total"] == TOTAL, scores["full"]
    assert set(check_errors(autograded["full"]).values()) == {None}


def test_the_unanswered_version_scores_zero(graded):
    scores, _, _ = graded
    assert scores["blank"]["total"] == 0, scores["blank"]


def test_one_wrong_answer_loses_exactly_its_points(graded):
    scores, autograded, _ = graded
    assert scores["wrong"]["total"] == TOTAL - 1
    assert scores["wrong"]["ex5-check"] == 0
    evalue = check_errors(autograded["wrong"])["ex5-check"]
    assert "expected [8, 32], got [32, 8]: a transpose reverses the strides" in evalue


def test_a_broken_submission_loses_only_the_broken_exercises(graded):
    scores, autograded, left_running = graded
    broken = scores["broken"]
    assert (broken["ex3-check"], broken["ex4-check"], broken["ex7-check"]) == (0, 0, 0)
    assert broken["total"] == TOTAL - 3
    errors = check_errors(autograded["broken"])
    assert "cannot find function `every_other`" in errors["ex3-check"], errors["ex3-check"]
    assert "an answer that panics" in errors["ex4-check"]
    assert re.search("interrupted|KeyboardInterrupt|timeout", errors["ex7-check"], re.I), errors["ex7-check"]
    assert left_running == set()


def test_the_feedback_shows_the_errors(course, graded):
    subprocess.run([NBGRADER, "generate_feedback", ASSIGNMENT, "--student", "broken", "--force"], cwd=course,
                   check=True, capture_output=True, env=ENV)
    (html,) = (course / "feedback" / "broken" / ASSIGNMENT).glob("*.html")
    text = html.read_text()
    assert "an answer that panics" in text
    assert "cannot find function" in text
