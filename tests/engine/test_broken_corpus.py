"""Broken diagrams as process owners make them: each refused with every problem located and worded twice.

``tests/fixtures/broken`` holds files derived from ``processes/ptsp.bpmn``, each
with one realistic mistake (or a few), and ``expected.json``: for each file, the
problems it must get, by element id, some words of the English message and,
where the file is XML, the line. Every problem must read in Indonesian too: a
template without an entry in ``problems.po`` fails here, not in front of an
applicant's office.
"""

from __future__ import annotations

import ast
import json
import string
from collections.abc import Iterator
from pathlib import Path

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from lxml import etree
from sqlalchemy import func, select

import engine.catalogue
import engine.definitions
from engine import DefinitionInvalid, Engine
from engine.definitions import load_definition, parse_xml
from engine.errors import Problem
from engine.store.models import Definition
from webui import problems as problem_words
from webui.problems import problem_text

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "tests" / "fixtures" / "broken"
EXPECTED: dict[str, list[dict]] = json.loads((CORPUS / "expected.json").read_text(encoding="utf-8"))
TRANSLATIONS = ROOT / "webui" / "translations"
CATALOG = TRANSLATIONS / "id" / "LC_MESSAGES" / "problems.po"
TEMPLATE = TRANSLATIONS / "problems.pot"
# the functions whose first argument is a problem template (N_ marks one kept in a table)
# problem(), _problem() and N_() in engine/definitions.py; check.problem() and Problem.of() in engine/catalogue.py
TEMPLATE_TAKERS = {"problem", "_problem", "N_", "of"}


def templates_in(source: str) -> set[str]:
    """Every problem template written in the module: the string given to problem(), _problem() or N_()."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else None
        first = node.args[0]
        if name in TEMPLATE_TAKERS and isinstance(first, ast.Constant) and isinstance(first.value, str):
            found.add(first.value)
    return found


TEMPLATES = templates_in(Path(engine.definitions.__file__).read_text(encoding="utf-8")) | templates_in(
    Path(engine.catalogue.__file__).read_text(encoding="utf-8")
)


def placeholders(text: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(text) if field is not None}


def refused(data: bytes) -> list[Problem]:
    with pytest.raises(DefinitionInvalid) as info:
        load_definition(data)
    assert info.value.problems, "refused without a problem"
    return info.value.problems


@pytest.fixture(scope="module", autouse=True)
def indonesian_catalog(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """problems.po as it is in the tree, compiled here: the test needs no `make catalogs` first."""
    directory = tmp_path_factory.mktemp("translations")
    target = directory / "id" / "LC_MESSAGES"
    target.mkdir(parents=True)
    with CATALOG.open("rb") as po, (target / "problems.mo").open("wb") as mo:
        write_mo(mo, read_po(po, locale="id"))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(problem_words, "TRANSLATIONS", directory)
        problem_words.catalog.cache_clear()
        yield
    problem_words.catalog.cache_clear()


# ------------------------------------------------------------------ the corpus
def test_the_corpus_is_complete() -> None:
    files = {p.name for p in CORPUS.glob("*.bpmn")}
    assert files == set(EXPECTED), "every file has its expected problems, and every entry its file"
    assert len(files) >= 15
    assert all(EXPECTED[name] for name in files)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_a_broken_diagram_is_refused_with_each_problem_located(name: str) -> None:
    data = (CORPUS / name).read_bytes()
    found = refused(data)
    try:
        root = parse_xml(data).getroot()
    except DefinitionInvalid:
        root = None
    named = {el.get("id"): el.get("name") for el in root.iter() if el.get("id")} if root is not None else {}
    for expected in EXPECTED[name]:
        hits = [p for p in found if p.element == expected["element"] and expected["contains"] in p.message]
        assert hits, f"{name}: no problem at {expected['element']} saying {expected['contains']!r}: {found}"
        if "line" in expected:
            assert expected["line"] in {p.line for p in hits}, f"{name}: {hits} not on line {expected['line']}"
    for problem in found:
        if root is not None and problem.element:
            assert problem.line, f"{name}: {problem} has no line"
            assert problem.name == ((named.get(problem.element) or "").strip() or None), problem


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_problem_reads_in_indonesian(name: str) -> None:
    for problem in refused((CORPUS / name).read_bytes()):
        assert problem.template in TEMPLATES, f"a template not written in engine/definitions.py: {problem.template!r}"
        indonesian = problem_text(problem, "id")
        assert indonesian and indonesian != problem.message, f"no Indonesian for: {problem.template!r}"
        assert not any("{" + key + "}" in indonesian for key in problem.params), indonesian
        assert problem_text(problem, "en") == problem.message
        assert str(problem) and problem.as_dict()["message"] == problem.message


def test_deploying_a_broken_diagram_stores_nothing(engine: Engine) -> None:
    def stored() -> int:
        with engine.db.reader() as session:
            return session.execute(select(func.count()).select_from(Definition)).scalar_one()

    before = stored()
    for name in sorted(EXPECTED):
        data = (CORPUS / name).read_bytes()
        with pytest.raises(DefinitionInvalid):
            engine.deploy(data, deployed_by="pemilik proses")
        with pytest.raises(DefinitionInvalid):
            engine.validate(data)
        assert stored() == before, f"{name} left a definition behind"


# ------------------------------------------------------------------ the catalog
def test_every_template_in_the_engine_has_an_indonesian_entry() -> None:
    assert len(TEMPLATES) > 60, "the scan for templates found too few: has the way problems are made changed?"
    with CATALOG.open("rb") as po:
        catalog = read_po(po, locale="id")
    translated = {m.id: m.string for m in catalog if m.id and m.string and not m.fuzzy}
    missing = sorted(TEMPLATES - set(translated))
    assert missing == [], f"untranslated (run `make problem-translations`, then translate in {CATALOG}): {missing}"
    stale = sorted(set(translated) - TEMPLATES)
    assert stale == [], f"entries for templates the engine no longer uses: {stale}"
    for template in TEMPLATES:
        words = translated[template]
        assert placeholders(words) == placeholders(template), (template, words)
        words.format(**{key: "x" for key in placeholders(words)})  # no stray brace
        assert words != template


def test_the_template_file_is_current() -> None:
    with TEMPLATE.open("rb") as pot:
        ids = {m.id for m in read_po(pot) if m.id}
    assert ids == TEMPLATES, "run `make problem-translations` after changing a problem's wording"


def test_every_deploy_problem_is_made_from_a_template_the_scan_sees() -> None:
    # a template in a variable is fine when the variable holds an N_() value; an f-string is not
    source = Path(engine.definitions.__file__).read_text(encoding="utf-8")
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", None)) in TEMPLATE_TAKERS:
            first = node.args[0] if node.args else None
            assert not isinstance(first, ast.JoinedStr), f"line {node.lineno}: a template must not be an f-string"
            assert first is not None, f"line {node.lineno}: a problem without a template"


# ------------------------------------------------------------------ problem_text
def test_a_template_is_filled_in_after_translation() -> None:
    problem = refused((CORPUS / "01-unknown-lane.bpmn").read_bytes())[0]
    assert problem.params["lane"] == "Sekretariat"
    assert problem_text(problem, "id").startswith("lajur 'Sekretariat' tidak dikenal")


def test_without_a_translation_the_english_message_is_shown() -> None:
    plain = Problem("the workflow engine could not compile {this}")  # a message, not a template
    assert problem_text(plain, "id") == plain.message
    problem = Problem.of("an unknown template about {thing}", {"thing": "x"}, element="A")
    assert problem.message == "an unknown template about x"
    assert problem_text(problem, "id") == problem.message
    assert problem_text(problem, "xx") == problem.message


def test_a_broken_translation_never_raises(monkeypatch: pytest.MonkeyPatch) -> None:
    class Broken:
        def gettext(self, message: str) -> str:
            return "rusak {lane"

    monkeypatch.setattr(problem_words, "catalog", lambda lang: Broken())
    problem = refused((CORPUS / "01-unknown-lane.bpmn").read_bytes())[0]
    assert problem_text(problem, "id") == problem.message


def test_problem_text_needs_no_request_context() -> None:
    from flask import has_request_context

    assert not has_request_context()
    problem = refused((CORPUS / "24-empty.bpmn").read_bytes())[0]
    assert problem_text(problem, "id") == "file kosong; pilih file .bpmn yang disimpan oleh Camunda Modeler"


def test_the_problems_are_named_as_the_modeler_shows_them() -> None:
    problem = next(p for p in refused((CORPUS / "03-task-outside-lane.bpmn").read_bytes()))
    assert (problem.element, problem.name) == (
        "Langkah6_DisposisiKasubag",
        "Mendisposisikan kepada Kasi untuk Tindak Lanjut",
    )
    assert str(problem).startswith('line 293, Langkah6_DisposisiKasubag "Mendisposisikan kepada Kasi')
    tree = etree.fromstring((CORPUS / "03-task-outside-lane.bpmn").read_bytes())
    assert tree.xpath("//*[@id='Langkah6_DisposisiKasubag']")[0].sourceline == problem.line
