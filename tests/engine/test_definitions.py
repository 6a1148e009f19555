"""Deploying diagrams: versions by content, and hostile or broken files refused with reasons."""

from __future__ import annotations

import re
import time

import pytest
from sqlalchemy import func, select

from engine import DefinitionInvalid, Engine
from engine.definitions import MAX_BYTES, load_definition
from engine.store.models import Definition, Instance

from ..conftest import PTSP_BPMN
from ..helpers import Application

XML = PTSP_BPMN.read_text(encoding="utf-8")


def mutate(old: str, new: str, count: int = 1, text: str = XML) -> bytes:
    assert old in text, old
    return text.replace(old, new, count).encode("utf-8")


def problems(data: bytes) -> list:
    with pytest.raises(DefinitionInvalid) as info:
        load_definition(data)
    return info.value.problems


def definitions_count(engine: Engine) -> int:
    with engine.db.reader() as session:
        return session.execute(select(func.count()).select_from(Definition)).scalar_one()


def refused_deploy(engine: Engine, data: bytes, pattern: str) -> DefinitionInvalid:
    before = definitions_count(engine)
    with pytest.raises(DefinitionInvalid) as info:
        engine.deploy(data)
    assert any(re.search(pattern, str(p)) for p in info.value.problems), [str(p) for p in info.value.problems]
    assert definitions_count(engine) == before
    return info.value


# ------------------------------------------------------------------ versions
def test_identical_content_returns_the_existing_version(engine: Engine, ptsp_xml: bytes) -> None:
    again = engine.deploy(ptsp_xml)
    assert (again.version, again.created) == (1, False)
    assert definitions_count(engine) == 1


def test_new_content_is_a_new_version_and_instances_keep_theirs(engine: Engine) -> None:
    old_app = Application(engine)
    changed = mutate(
        '<bpmn:timeDuration xsi:type="bpmn:tFormalExpression">PT15M</bpmn:timeDuration>',
        '<bpmn:timeDuration xsi:type="bpmn:tFormalExpression">PT20M</bpmn:timeDuration>',
    )
    deployed = engine.deploy(changed, deployed_by="pemilik", note="Langkah 1 menjadi 20 menit")
    assert (deployed.process, deployed.version, deployed.created) == ("ptsp", 2, True)
    new_app = Application(engine)
    assert engine.show(old_app.id).version == 1
    assert engine.show(new_app.id).version == 2
    old_due = old_app.current().due_at - old_app.current().ready_at
    new_due = new_app.current().due_at - new_app.current().ready_at
    assert (old_due.total_seconds(), new_due.total_seconds()) == (15 * 60, 20 * 60)
    old_app.do(1)  # the old instance runs on its own version
    assert engine.show(old_app.id).version == 1


def test_a_version_is_parsed_once(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    from engine.services import context

    calls = []
    original = context.compile_definition
    monkeypatch.setattr(context, "compile_definition", lambda *a: calls.append(a) or original(*a))
    engine.ctx.definitions._compiled.clear()
    for applicant in ("warga", "warga2", "warga"):
        Application(engine, applicant).do(1)
    assert len(calls) == 1


def test_the_stored_file_is_the_uploaded_bytes(engine: Engine, ptsp_xml: bytes) -> None:
    with engine.db.reader() as session:
        row = session.execute(select(Definition)).scalar_one()
        assert row.bpmn == ptsp_xml
        assert row.deployed_by == "tests"
        instance_count = session.execute(select(func.count()).select_from(Instance)).scalar_one()
    assert instance_count == 0


def test_dry_run_validation_stores_nothing(engine: Engine, ptsp_xml: bytes) -> None:
    engine.validate(ptsp_xml)
    with pytest.raises(DefinitionInvalid):
        engine.validate(b"<nope/>")
    assert definitions_count(engine) == 1


# ------------------------------------------------------------- hostile files
def test_malformed_xml(engine: Engine) -> None:
    error = refused_deploy(engine, XML[:5000].encode(), r"not well-formed XML")
    assert error.problems[0].line is not None


def test_xxe_payload(engine: Engine) -> None:
    payload = '<?xml version="1.0"?>\n<!DOCTYPE d [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n' + XML.split("\n", 1)[
        1
    ].replace('name="SOP Pelayanan Terpadu Satu Pintu"', 'name="&xxe;"')
    refused_deploy(engine, payload.encode(), r"DOCTYPE and ENTITY declarations are not allowed")


def test_billion_laughs(engine: Engine) -> None:
    lols = "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10))
    payload = f'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY l0 "lol">{lols}]><d>&l9;</d>'
    started = time.perf_counter()
    refused_deploy(engine, payload.encode(), r"DOCTYPE and ENTITY")
    assert time.perf_counter() - started < 2


def test_entity_smuggled_in_another_encoding_is_refused() -> None:
    payload = '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE d [<!ENTITY a "b">]><d>&a;</d>'.encode("utf-16")
    assert any("DOCTYPE" in p.message or "XML" in p.message for p in problems(payload))


def test_oversized_file(engine: Engine) -> None:
    refused_deploy(engine, b" " * (MAX_BYTES + 1), r"limit is")


def test_script_task(engine: Engine) -> None:
    data = mutate(
        '<bpmn:exclusiveGateway id="Gateway_GabungPenyerahanBerkas">',
        '<bpmn:scriptTask id="Skrip" name="Jalankan"><bpmn:script>import os; os.system("id")</bpmn:script>'
        '</bpmn:scriptTask>\n    <bpmn:exclusiveGateway id="Gateway_GabungPenyerahanBerkas">',
    )
    error = refused_deploy(engine, data, r"script tasks are not allowed")
    assert any(p.element and "Skrip" in p.element for p in error.problems)


def test_start_id_collides_with_engine_internals(engine: Engine) -> None:
    data = XML.replace("Mulai_PemohonDatang", "Start").encode()
    error = refused_deploy(engine, data, r"the id 'Start' is reserved")
    assert any(p.line for p in error.problems)


def test_end_and_dotted_ids_are_reserved() -> None:
    found = problems(
        XML.replace("Selesai_ProdukDiterima", "End")
        .replace("Gateway_GabungPenyerahanBerkas", "Gateway.Gabung")
        .encode()
    )
    messages = " | ".join(map(str, found))
    assert "'End' is reserved" in messages and "'Gateway.Gabung' contains '.'" in messages


# ----------------------------------------------------------- semantic checks
@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ('name="Kasubag"', 'name="Sekretariat"', r"unknown lane 'Sekretariat'"),
        (
            "<bpmn:flowNodeRef>Langkah1_MenanyakanPelayanan</bpmn:flowNodeRef>",
            "",
            r"Langkah1_MenanyakanPelayanan.*not in any lane",
        ),
        (">PT10M<", ">PT1D<", r"'PT1D' is not an ISO 8601 duration"),
        (">PT10M<", ">${batas +}<", r"timer expression: invalid expression"),
        ("${berkas_lengkap}", "${berkas_sudah_lengkap}", r"refers to 'berkas_sudah_lengkap'"),
        ("${!berkas_lengkap}", "${berkas_lengkap ==}", r"condition is not a plain expression"),
        ("${!berkas_lengkap}", "${__import__('os').system('id')}", r"function calls are not allowed"),
        ('isExecutable="true"', 'isExecutable="false"', r"no executable process"),
        (
            '<bpmn:timeDuration xsi:type="bpmn:tFormalExpression">PT10M</bpmn:timeDuration>',
            '<bpmn:timeCycle xsi:type="bpmn:tFormalExpression">R3/PT10M</bpmn:timeCycle>',
            r"timer cycles are not",
        ),
        (
            "<camunda:formData>",
            '<camunda:executionListener class="org.Evil" event="start" />\n<camunda:formData>',
            r"camunda:executionListener is not supported",
        ),
        (
            '<bpmndi:BPMNShape id="Langkah1_MenanyakanPelayanan_di" bpmnElement="Langkah1_MenanyakanPelayanan">',
            '<bpmndi:BPMNShape id="X_di" bpmnElement="Pool_KantorKemenagJaksel">',
            r"missing DI",
        ),
        ('type="boolean"', 'type="money"', r"unsupported type 'money'"),
        (
            '<camunda:property name="sop_step" value="1" />',
            '<camunda:property name="sop_step" value="satu" />',
            r"sop_step must be a whole number",
        ),
        (
            '<bpmn:sequenceFlow id="Flow_BerkasLengkap" name="Lengkap" sourceRef="Gateway_BerkasLengkap" '
            'targetRef="Langkah5_DisposisiKepalaKantor">\n      '
            '<bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">'
            "${berkas_lengkap}</bpmn:conditionExpression>\n    </bpmn:sequenceFlow>",
            '<bpmn:sequenceFlow id="Flow_BerkasLengkap" name="Lengkap" sourceRef="Gateway_BerkasLengkap" '
            'targetRef="Langkah5_DisposisiKepalaKantor" />',
            r"needs a condition on every outgoing flow",
        ),
    ],
)
def test_broken_diagrams_are_refused_with_the_reason(old: str, new: str, expected: str) -> None:
    found = problems(mutate(old, new))
    assert any(re.search(expected, str(p)) for p in found), [str(p) for p in found]
    assert all(p.message for p in found)


def test_every_problem_is_reported_at_once_with_lines() -> None:
    data = mutate(
        'name="Kasubag"',
        'name="Sekretariat"',
        text=XML.replace(">PT10M<", ">10 menit<").replace("${berkas_lengkap}", "${lengkap}"),
    )
    found = problems(data)
    text = " | ".join(map(str, found))
    assert "unknown lane 'Sekretariat'" in text
    assert "'10 menit' is not an ISO 8601 duration" in text
    assert "refers to 'lengkap'" in text
    assert all(p.line for p in found)


def test_xsd_violations_are_located() -> None:
    found = problems(mutate('<bpmn:laneSet id="LaneSet_PTSP">', '<bpmn:laneSet id="LaneSet_PTSP" bogus="1">'))
    assert found[0].line and "schema" in found[0].message
    assert found[0].element == "LaneSet_PTSP"


# ------------------------------------------------------------ found in review
@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            '<camunda:constraint name="maxlength" config="2000" />',
            '<camunda:constraint name="maxlength" config="inf" />',
            r"must be a finite number",
        ),
        (
            '<camunda:constraint name="maxlength" config="2000" />',
            '<camunda:constraint name="maxlength" config="12.5" />',
            r"whole number of characters",
        ),
        (">PT10M<", ">P99999999999Y<", r"longer than 100 years"),
        (">PT10M<", ">PT99999999999999H<", r"longer than 100 years|not a usable"),
        (
            '<camunda:property name="sop_step" value="1" />',
            '<camunda:property name="sop_step" value="²" />',
            r"sop_step must be a whole number",
        ),
        (
            '<bpmn:dataObject id="draft_produk" name="Draft Produk" />',
            '<bpmn:dataObject name="Draft Produk" />',
            r"dataObject has no id",
        ),
        ("${!berkas_lengkap}", "${" + "+".join(["email"] * 200) + "}", r"too complex"),
        ("<bpmn:flowNodeRef>Mulai_PemohonDatang</bpmn:flowNodeRef>", "", r"start event must be in the Pemohon lane"),
    ],
)
def test_review_findings_are_refused_at_deploy(old: str, new: str, expected: str) -> None:
    found = problems(mutate(old, new))
    assert any(re.search(expected, str(p)) for p in found), [str(p) for p in found]


def test_a_plain_task_is_refused() -> None:
    element = re.search(r'<bpmn:userTask id="Langkah2_MenjelaskanJenisStandarLayanan".*?</bpmn:userTask>', XML, re.S)
    plain = element.group(0).replace("<bpmn:userTask", "<bpmn:task").replace("</bpmn:userTask>", "</bpmn:task>")
    found = problems(XML.replace(element.group(0), plain).encode())
    assert any("a plain task is done by nobody" in str(p) for p in found), [str(p) for p in found]


def test_multi_instance_tasks_are_refused() -> None:
    loop = (
        '<bpmn:multiInstanceLoopCharacteristics><bpmn:loopCardinality xsi:type="bpmn:tFormalExpression">'
        "${jumlah_berkas}</bpmn:loopCardinality></bpmn:multiInstanceLoopCharacteristics>"
    )
    element = re.search(r'<bpmn:userTask id="Langkah5_DisposisiKepalaKantor".*?</bpmn:userTask>', XML, re.S).group(0)
    looped = element.replace("</bpmn:userTask>", loop + "</bpmn:userTask>")
    found = problems(XML.replace(element, looped).encode())
    assert any("multi-instance tasks are not supported" in str(p) for p in found), [str(p) for p in found]


def test_a_condition_may_use_a_start_form_field() -> None:
    data = mutate(
        "untuk menanyakan layanan.</bpmn:documentation>",
        "untuk menanyakan layanan.</bpmn:documentation><bpmn:extensionElements>"
        '<camunda:formData><camunda:formField id="mendesak" label="Mendesak" type="boolean" /></camunda:formData>'
        "</bpmn:extensionElements>",
        text=XML.replace("${!berkas_lengkap}", "${!berkas_lengkap || mendesak}"),
    )
    model = load_definition(data).model
    assert model.start_form.field("mendesak").type == "boolean"


def test_a_bad_date_timer_from_form_data_is_refused_cleanly_at_run_time(engine: Engine) -> None:
    from engine.runtime import ProcessError

    from ..helpers import fingerprint, valid_data

    step2_timer = '<bpmn:timerEventDefinition id="TimerDef_Langkah2_MenjelaskanJenisStandarLayanan">'
    data = mutate(
        step2_timer + '\n        <bpmn:timeDuration xsi:type="bpmn:tFormalExpression">PT15M</bpmn:timeDuration>',
        step2_timer + '<bpmn:timeDate xsi:type="bpmn:tFormalExpression">${nama_pemohon}</bpmn:timeDate>',
    )
    engine.deploy(data)
    app = Application(engine)
    task = app.current()
    before = fingerprint(engine)
    with pytest.raises(ProcessError, match="timer cannot be set"):
        engine.complete(task.id, as_user="warga", data=valid_data(engine, task.id))
    assert fingerprint(engine) == before
