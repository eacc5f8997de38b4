"""The README is the front door: every target it names exists, every file it points to is in the
repository, and every result it quotes is in the report that `make report` wrote, so that nothing
in it can drift from what the code does and measured."""
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def section(title):
    return README.split(f"## {title}\n", 1)[1].split("\n## ", 1)[0]


def test_every_make_target_named_exists():
    targets = set(re.findall(r"^([a-z0-9-]+):", (ROOT / "Makefile").read_text(), re.M))
    named = set(re.findall(r"`make ([a-z][a-z0-9-]*)", README))
    assert named and named <= targets, named - targets


def test_every_file_and_link_exists():
    paths = set(re.findall(r"\]\(([^)#\s]+)\)", README))  # markdown links and images
    paths |= set(re.findall(r"`([\w/.-]+\.(?:py|md))`", README))  # files named in code spans
    made_by_targets = ("figures/", "runs/", "results/gpu/")  # written when a target runs, not kept
    missing = [p for p in paths if not p.startswith(made_by_targets) and not (ROOT / p).exists()]
    assert not missing, missing
    assert not [p for p in paths if p.startswith(("/", "..", "~"))], "a link leaves the repository"


def test_the_fig2_numbers_quoted_are_the_reports():
    report = (ROOT / "results/small/REPORT.md").read_text()
    quoted = re.findall(r"(?<!\d)-?\d+\.\d+", section("What `make fig2` shows"))
    assert quoted, "the fig2 section quotes no result"
    assert [q for q in quoted if q not in report] == []


def test_it_stays_a_front_door():
    assert len(README.splitlines()) <= 300
    assert "make fig2" in README and "make test" in README
