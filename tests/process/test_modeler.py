"""The diagram as a modeler opens it: bpmn-js (bpmn.io, Camunda Modeler) and bpmnlint.

These need ``tools/bpmn-js/node_modules`` (``make node-deps``) and, for the
import check, Debian's chromium. ``.ci/run`` installs both; where they are
missing the tests are skipped with the reason.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from ..conftest import PTSP_BPMN, ROOT

TOOLS = ROOT / "tools" / "bpmn-js"
MODULES = TOOLS / "node_modules"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]

needs_node_modules = pytest.mark.skipif(
    not (MODULES / "bpmn-js").is_dir(), reason="tools/bpmn-js/node_modules missing (run `make node-deps`)"
)


@needs_node_modules
def test_bpmnlint_recommended_rules_pass() -> None:
    if shutil.which("node") is None:
        pytest.skip("node is not installed")
    done = subprocess.run(
        ["node", str(MODULES / "bpmnlint" / "bin" / "bpmnlint.js"), str(PTSP_BPMN)],
        cwd=TOOLS,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr


@needs_node_modules
def test_bpmnlint_would_catch_an_unnamed_gateway(tmp_path: Path) -> None:
    """The check above can fail: a broken copy is reported."""
    if shutil.which("node") is None:
        pytest.skip("node is not installed")
    broken = tmp_path / "broken.bpmn"
    broken.write_text(PTSP_BPMN.read_text(encoding="utf-8").replace(' name="Berkas lengkap?"', ""), encoding="utf-8")
    done = subprocess.run(
        ["node", str(MODULES / "bpmnlint" / "bin" / "bpmnlint.js"), str(broken)],
        cwd=TOOLS,
        capture_output=True,
        text=True,
    )
    assert done.returncode != 0 and "label-required" in done.stdout


def _import_in_bpmn_js(xml: str) -> dict:
    playwright = pytest.importorskip("playwright.sync_api")
    if not CHROMIUM.exists():
        pytest.skip("Debian chromium is not installed (/usr/bin/chromium)")
    viewer = (MODULES / "bpmn-js" / "dist" / "bpmn-modeler.development.js").read_text(encoding="utf-8")
    camunda = (MODULES / "camunda-bpmn-moddle" / "resources" / "camunda.json").read_text(encoding="utf-8")
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1600, "height": 900})
            page.set_content('<html><body><div id="canvas" style="width:1600px;height:900px"></div></body></html>')
            page.add_script_tag(content=viewer)
            return page.evaluate(
                """async ([xml, camunda]) => {
                    const modeler = new BpmnJS({container: '#canvas',
                                                moddleExtensions: {camunda: JSON.parse(camunda)}});
                    try {
                        const result = await modeler.importXML(xml);
                        const registry = modeler.get('elementRegistry');
                        const { xml: saved } = await modeler.saveXML({ format: true });
                        return {warnings: result.warnings.map(w => w.message),
                                elements: registry.getAll().length, saved};
                    } catch (err) {
                        return {error: err.message, warnings: (err.warnings || []).map(w => w.message)};
                    }
                }""",
                [xml, camunda],
            )
        finally:
            browser.close()


@needs_node_modules
def test_opens_in_bpmn_js_with_camunda_moddle_without_warnings() -> None:
    result = _import_in_bpmn_js(PTSP_BPMN.read_text(encoding="utf-8"))
    assert "error" not in result, result
    assert result["warnings"] == []
    assert result["elements"] > 100
    # what the modeler writes back keeps the forms and the SOP step numbers
    assert "camunda:formData" in result["saved"] and 'name="sop_step"' in result["saved"]


@needs_node_modules
def test_bpmn_js_would_report_a_broken_reference() -> None:
    broken = PTSP_BPMN.read_text(encoding="utf-8").replace(
        'bpmnElement="Langkah1_MenanyakanPelayanan"', 'bpmnElement="Tidak_Ada"', 1
    )
    result = _import_in_bpmn_js(broken)
    assert result.get("warnings"), json.dumps(result)[:500]
