"""The Indonesian catalog covers every UI text; English is available; times are WIB."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
CATALOG = ROOT / "webui" / "translations" / "id" / "LC_MESSAGES" / "messages.po"


def ui_messages() -> set[str]:
    method_map = [("webui/**.py", "python"), ("webui/templates/**.html", "jinja2")]
    keywords = {"_": None, "gettext": None, "_l": None, "lazy_gettext": None, "ngettext": (1, 2)}
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(str(ROOT), method_map, keywords=keywords):
        found.add(message if isinstance(message, str) else message[0])
    return found


def test_every_ui_text_has_an_indonesian_translation() -> None:
    catalog = read_po(CATALOG.open("rb"))
    # a plural entry counts when every form is translated; it is known by its singular
    translated = {
        m.id if isinstance(m.id, str) else m.id[0]
        for m in catalog
        if m.id and (all(m.string) if isinstance(m.string, tuple) else m.string) and not m.fuzzy
    }
    missing = sorted(ui_messages() - translated)
    assert missing == [], f"untranslated (run `make translations` and fill in {CATALOG}): {missing}"


def test_the_catalog_compiles(tmp_path: Path) -> None:
    out = tmp_path / "messages.mo"
    done = subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "compile", "-i", str(CATALOG), "-o", str(out), "-l", "id"],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert out.stat().st_size > 1000


def test_pages_speak_indonesian_by_default_and_english_on_request(browser) -> None:
    b = browser()
    assert "Nama pengguna" in b.get("/masuk").get_data(as_text=True)
    b.post("/bahasa", {"lang": "en"})
    assert "Username" in b.get("/masuk").get_data(as_text=True)
