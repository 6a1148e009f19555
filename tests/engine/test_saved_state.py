"""Workflow state saved by this engine keeps loading: guards SpiffWorkflow upgrades."""

from __future__ import annotations

import json
from pathlib import Path

from SpiffWorkflow.util.task import TaskState

from engine.definitions import load_definition
from engine.runtime import STATE_FORMAT, Runtime, compile_definition
from engine.scripting import EngineScriptEngine

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "saved_state"


def test_saved_state_loads_and_runs_to_the_end(clock) -> None:
    saved = json.loads((FIXTURES / "waiting-at-step7.json").read_text(encoding="utf-8"))
    assert saved["state_format"] == STATE_FORMAT
    compiled = compile_definition(1, 1, load_definition((FIXTURES / "ptsp-v1.bpmn").read_bytes()))
    runtime = Runtime(EngineScriptEngine())
    wf = runtime.load(compiled, json.dumps(saved["state"]))
    waiting = runtime.ready_user_task(wf, saved["waiting_task"])
    assert waiting.task_spec.bpmn_id == saved["waiting_at"] == "Langkah7_ParafTandaTangan"
    answers = {
        "Langkah7_ParafTandaTangan": {"nomor_produk": "B-1/2026"},
        "Langkah7_MendokumentasikanProduk": {"nomor_agenda_arsip": "A-1"},
        "Langkah8_MenerimaProdukUntukDiserahkan": {"produk_siap_diserahkan": True},
        "Langkah9_MenerimaProdukLayanan": {"produk_diterima": True},
    }
    changes = []
    for element, data in answers.items():
        [task] = [t for t in wf.get_tasks(state=TaskState.READY) if t.task_spec.bpmn_id == element]
        changes += runtime.complete(wf, compiled.model, str(task.id), data, {})
        wf = runtime.load(compiled, runtime.dump(wf))
    assert changes[-1].type == "instance_completed"
    assert wf.is_completed()
    # the step-7 deadline still counts from the saved start of step 7
    due = [c.data["due_at"] for c in changes if c.type == "timer_armed" and c.data["sop_step"] == 7]
    assert due == ["2026-11-24T02:20:00+00:00"]
