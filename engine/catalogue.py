"""The service catalogue (Jenis Layanan) as data: parsed, checked, written back.

One SOP serves every service of the office; what differs per service is its
standard (KMA 109/2017): the documents required (persyaratan), the product,
the time, the fee, the legal basis, and the Seksi that does the work. The
catalogue is kept as YAML in ``processes/services.yaml`` (readable and
diffable in review) and stored, version by version, in ``catalogue_versions``.

``parse(text)`` returns a ``Catalogue`` of frozen dataclasses or raises
``CatalogueInvalid`` listing *every* problem found, each with the line and
the entry (service code) it concerns, worded like a refused diagram's
problems: a constant English template and its values. ``dump(catalogue)``
writes the YAML a version is stored as when it was edited in the UI.

Hajj and umrah moved to the Kementerian Haji dan Umrah in 2025: such an entry
has ``referral:`` text instead of a workflow; it is listed, never applied for.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import yaml

from .definitions import N_
from .errors import InvalidInput, Problem, ProblemsFound
from .model import SEKSI

MAX_BYTES = 512 * 1024
CODE = re.compile(r"^[a-z0-9][a-z0-9_]{0,39}$")
ITEM_CODE = re.compile(r"^[a-z0-9][a-z0-9_]{0,39}$")
# Working time the way the engine counts it: days (hari kerja), hours, minutes.
STANDARD = re.compile(r"^P(?!$)(?:(?P<d>\d{1,3})D)?(?:T(?=\d)(?:(?P<h>\d{1,3})H)?(?:(?P<m>\d{1,4})M)?)?$")
FREE = "Gratis"
KEYS = ("code", "name", "seksi", "persyaratan", "produk", "standard", "biaya", "dasar_hukum", "keterangan", "referral")
REFERRAL_KEYS = ("code", "name", "referral", "keterangan", "dasar_hukum")
MAX_NAME, MAX_TEXT, MAX_LONG = 200, 500, 2000


class CatalogueInvalid(ProblemsFound, InvalidInput):
    """A catalogue was refused (bad input: every problem listed)."""

    code = "catalogue_invalid"
    what = "catalogue"


@dataclass(frozen=True)
class Requirement:
    """One document of a service's checklist (persyaratan): a short code and its text."""

    code: str
    text: str

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "text": self.text}


@dataclass(frozen=True)
class Service:
    code: str
    name: str
    seksi: str | None = None
    persyaratan: tuple[Requirement, ...] = ()
    produk: str | None = None
    standard: str | None = None  # ISO 8601 working time: PT15M, P2D (2 hari kerja)
    biaya: str = FREE
    dasar_hukum: tuple[str, ...] = ()
    keterangan: str | None = None
    referral: str | None = None  # served elsewhere: where to go instead
    line: int | None = field(default=None, compare=False)  # where the entry begins in the YAML read

    @property
    def is_referral(self) -> bool:
        return self.referral is not None

    def requirement(self, code: str) -> Requirement | None:
        return next((r for r in self.persyaratan if r.code == code), None)

    @property
    def standard_text(self) -> str | None:
        """The standard in the office's words: "2 hari kerja", "15 menit"."""
        return describe_standard(self.standard)

    def as_dict(self) -> dict[str, Any]:
        """The entry as it is written in YAML (keys in the catalogue's order, empty ones left out)."""
        out: dict[str, Any] = {"code": self.code, "name": self.name}
        if self.referral is not None:
            out["referral"] = self.referral
        else:
            out["seksi"] = self.seksi
            out["persyaratan"] = [r.as_dict() for r in self.persyaratan]
            if self.produk:
                out["produk"] = self.produk
            out["standard"] = self.standard
            out["biaya"] = self.biaya
        if self.dasar_hukum:
            out["dasar_hukum"] = list(self.dasar_hukum)
        if self.keterangan:
            out["keterangan"] = self.keterangan
        return out

    def summary(self) -> dict[str, Any]:
        """What ``ptsp services --json`` lists for the entry."""
        return {
            "code": self.code,
            "name": self.name,
            "seksi": self.seksi,
            "requirements": [r.as_dict() for r in self.persyaratan],
            "standard": self.standard,
            "produk": self.produk,
            "biaya": self.biaya if self.referral is None else None,
            "dasar_hukum": list(self.dasar_hukum),
            "referral": self.referral,
        }


@dataclass(frozen=True)
class Catalogue:
    services: tuple[Service, ...] = ()
    title: str | None = None

    def get(self, code: str) -> Service | None:
        return next((s for s in self.services if s.code == code), None)

    def __iter__(self) -> Iterator[Service]:
        return iter(self.services)

    def __len__(self) -> int:
        return len(self.services)

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.title:
            out["title"] = self.title
        out["services"] = [s.as_dict() for s in self.services]
        return out

    def with_service(self, service: Service, replacing: str | None = None) -> Catalogue:
        """A copy with ``service`` added, or put in the place of entry ``replacing``."""
        if replacing is None:
            return replace(self, services=(*self.services, service))
        return replace(self, services=tuple(service if s.code == replacing else s for s in self.services))

    def without(self, code: str) -> Catalogue:
        return replace(self, services=tuple(s for s in self.services if s.code != code))


def describe_standard(standard: str | None) -> str | None:
    if not standard:
        return None
    match = STANDARD.match(standard)
    if match is None:
        return standard
    parts = []
    if match["d"]:
        parts.append(f"{int(match['d'])} hari kerja")
    if match["h"]:
        parts.append(f"{int(match['h'])} jam")
    if match["m"]:
        parts.append(f"{int(match['m'])} menit")
    return " ".join(parts) or standard


# ---------------------------------------------------------------------- reading
class _Map(dict):
    """A mapping read from YAML that remembers where it and each of its values begin."""

    line: int = 0
    lines: dict[str, int]


class _Loader(yaml.SafeLoader):
    """The safe loader, with lines kept, duplicate keys reported and aliases refused."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.problems: list[Problem] = []

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise _Refused(
                Problem.of(
                    "anchors and aliases (*{alias}) are not allowed in the catalogue; write each entry out in full",
                    {"alias": getattr(event, "anchor", "")},
                    line=event.start_mark.line + 1,
                )
            )
        return super().compose_node(parent, index)


class _Refused(Exception):
    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.message)
        self.problem = problem


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> _Map:
    loader.flatten_mapping(node)
    out = _Map()
    out.line, out.lines = node.start_mark.line + 1, {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, str):
            key = str(key)
        if key in out:
            loader.problems.append(
                Problem.of(
                    "the key '{key}' is written twice in one entry; keep one of them",
                    {"key": key},
                    line=key_node.start_mark.line + 1,
                )
            )
        out[key] = loader.construct_object(value_node, deep=True)
        out.lines[key] = value_node.start_mark.line + 1
    return out


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


@dataclass
class _Check:
    problems: list[Problem] = field(default_factory=list)

    def problem(self, template: str, *, line: int | None, entry: str | None = None, **params: Any) -> None:
        self.problems.append(Problem.of(template, params, element=entry, line=line))


def _line(mapping: Any, key: str | None = None) -> int | None:
    if not isinstance(mapping, _Map):
        return None
    if key is not None and key in mapping.lines:
        return mapping.lines[key]
    return mapping.line or None


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, str):
        return " ".join(value.split()) if "\n" not in value.strip() else value.strip()
    return None


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _plain(check: _Check, entry: Any, key: str, code: str | None, limit: int, *, required: bool) -> str | None:
    raw = entry.get(key)
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        if required:
            check.problem("the service has no {key}; write {key}: and its text", line=_line(entry), entry=code, key=key)
        return None
    text = _text(raw)
    if text is None:
        check.problem("{key} must be text, not a list or a mapping", line=_line(entry, key), entry=code, key=key)
        return None
    if _CONTROL.search(text) or len(text) > limit:
        check.problem(
            "{key} must be text of at most {limit} characters without control characters",
            line=_line(entry, key),
            entry=code,
            key=key,
            limit=limit,
        )
        return None
    return text


def _requirements(check: _Check, entry: _Map, code: str | None) -> tuple[Requirement, ...]:
    raw = entry.get("persyaratan")
    if not raw:
        check.problem(
            "the service has no persyaratan (the documents required); list them under persyaratan:, "
            "each with a code and a text",
            line=_line(entry),
            entry=code,
        )
        return ()
    if not isinstance(raw, list):
        check.problem(
            "persyaratan must be a list of items, each written '- code: ...' with 'text: ...' below",
            line=_line(entry, "persyaratan"),
            entry=code,
        )
        return ()
    items: list[Requirement] = []
    seen: set[str] = set()
    for i, item in enumerate(raw, 1):
        line = _line(item) or _line(entry, "persyaratan")
        if not isinstance(item, Mapping):
            check.problem(
                "persyaratan item {n} must have a code and a text (code: ..., text: ...)", line=line, entry=code, n=i
            )
            continue
        unknown = [k for k in item if k not in ("code", "text")]
        if unknown:
            check.problem(
                "persyaratan item {n} has an unknown key '{key}'; an item has only code and text",
                line=line,
                entry=code,
                n=i,
                key=unknown[0],
            )
        item_code = item.get("code")
        text = _text(item.get("text"))
        if not isinstance(item_code, str) or not ITEM_CODE.match(item_code):
            check.problem(
                "persyaratan item {n} needs a code of lowercase letters, digits and _ (at most 40), not '{value}'",
                line=line,
                entry=code,
                n=i,
                value="" if item_code is None else str(item_code),
            )
            continue
        if not text or _CONTROL.search(text) or len(text) > MAX_TEXT:
            check.problem(
                "persyaratan item '{item}' needs a text of at most {limit} characters",
                line=line,
                entry=code,
                item=item_code,
                limit=MAX_TEXT,
            )
            continue
        if item_code in seen:
            check.problem(
                "persyaratan item code '{item}' is used twice in this service; give each item its own code",
                line=line,
                entry=code,
                item=item_code,
            )
            continue
        seen.add(item_code)
        items.append(Requirement(item_code, text))
    return tuple(items)


def _standard(check: _Check, entry: _Map, code: str | None) -> str | None:
    raw = entry.get("standard")
    if raw is None or raw == "":
        check.problem(
            "the service has no standard (its time); write it in ISO 8601, e.g. PT15M for 15 minutes "
            "or P2D for 2 hari kerja",
            line=_line(entry),
            entry=code,
        )
        return None
    text = str(raw).strip()
    if STANDARD.match(text) and text not in ("P", "PT"):
        return text
    if re.fullmatch(r"PT\d+D", text):
        template = N_("the standard '{value}' is not a working time in ISO 8601: days go before the T, write {fixed}")
    elif re.search(r"menit|jam|hari|minute|hour|day", text, re.IGNORECASE):
        template = N_(
            "the standard '{value}' is not a working time in ISO 8601: 15 menit is PT15M, 2 hari kerja is P2D"
        )
    elif re.fullmatch(r"P\d+[WYM]", text):
        template = N_(
            "the standard '{value}' is not a working time in ISO 8601: weeks, months and years are not "
            "working time; count hari kerja, e.g. P5D"
        )
    else:
        template = N_(
            "the standard '{value}' is not a working time in ISO 8601: write e.g. PT15M (15 minutes), "
            "PT2H (2 hours) or P2D (2 hari kerja)"
        )
    check.problem(template, line=_line(entry, "standard"), entry=code, value=text, fixed="P" + text[2:])
    return None


def _biaya(check: _Check, entry: _Map, code: str | None) -> str:
    raw = entry.get("biaya")
    if raw is None or raw == "":
        check.problem(
            "the service has no biaya (fee); Kemenag PTSP services are free: write biaya: Gratis",
            line=_line(entry),
            entry=code,
        )
        return FREE
    if isinstance(raw, bool) or (isinstance(raw, int | float) and raw < 0):
        check.problem(
            "biaya must be Gratis or an amount in rupiah, not '{value}'",
            line=_line(entry, "biaya"),
            entry=code,
            value=str(raw),
        )
        return FREE
    if isinstance(raw, int | float):
        return FREE if raw == 0 else f"Rp {int(raw):,}".replace(",", ".")
    text = _text(raw)
    if text is None or len(text) > MAX_NAME or _CONTROL.search(text):
        check.problem(
            "biaya must be Gratis or an amount in rupiah, not '{value}'",
            line=_line(entry, "biaya"),
            entry=code,
            value=str(raw)[:80],
        )
        return FREE
    return FREE if text.lower() in ("gratis", "0", "rp 0", "rp0", "tidak dipungut biaya") else text


def _legal(check: _Check, entry: _Map, code: str | None) -> tuple[str, ...]:
    raw = entry.get("dasar_hukum")
    if raw is None:
        return ()
    values = [raw] if isinstance(raw, str) else raw
    if not isinstance(values, list):
        check.problem(
            "dasar_hukum must be a list of regulations, one per line starting with '- '",
            line=_line(entry, "dasar_hukum"),
            entry=code,
        )
        return ()
    out = []
    for value in values:
        text = _text(value)
        if not text or len(text) > MAX_TEXT or _CONTROL.search(text):
            check.problem(
                "each dasar_hukum must be the text of one regulation, at most {limit} characters",
                line=_line(entry, "dasar_hukum"),
                entry=code,
                limit=MAX_TEXT,
            )
            continue
        out.append(text)
    return tuple(out)


def _service(check: _Check, entry: Any, index: int, codes: dict[str, int]) -> Service | None:
    if not isinstance(entry, _Map):
        check.problem("entry {n} of services is not a service; each begins with '- code: ...'", line=None, n=index)
        return None
    raw_code = entry.get("code")
    code = raw_code if isinstance(raw_code, str) and CODE.match(raw_code) else None
    if code is None:
        check.problem(
            "entry {n} needs a code of lowercase letters, digits and _ (at most 40, e.g. legalisir_dokumen), "
            "not '{value}'",
            line=_line(entry, "code"),
            entry=f"services[{index}]",
            n=index,
            value="" if raw_code is None else str(raw_code)[:80],
        )
    elif code in codes:
        check.problem(
            "the code '{code}' is used twice (also on line {other}); every service needs its own code",
            line=_line(entry, "code"),
            entry=code,
            code=code,
            other=codes[code],
        )
    else:
        codes[code] = _line(entry, "code") or 0
    ref = code or f"services[{index}]"
    referral = entry.get("referral") is not None
    allowed = REFERRAL_KEYS if referral else KEYS
    for key in entry:
        if key not in KEYS:
            check.problem(
                "unknown key '{key}'; a service has {keys}",
                line=_line(entry, key),
                entry=ref,
                key=key,
                keys=", ".join(KEYS),
            )
        elif key not in allowed:
            check.problem(
                "a referral (served by another ministry) has no {key}: it is not applied for here; "
                "remove {key} or the referral",
                line=_line(entry, key),
                entry=ref,
                key=key,
            )
    name = _plain(check, entry, "name", ref, MAX_NAME, required=True)
    keterangan = _plain(check, entry, "keterangan", ref, MAX_LONG, required=False)
    legal = _legal(check, entry, ref)
    if referral:
        text = _plain(check, entry, "referral", ref, MAX_LONG, required=True)
        if code is None or name is None or text is None:
            return None
        return Service(code, name, dasar_hukum=legal, keterangan=keterangan, referral=text, line=entry.line)
    seksi = entry.get("seksi")
    if seksi is None:
        check.problem(
            "the service has no seksi; name the Seksi that processes it: {known}",
            line=_line(entry),
            entry=ref,
            known=", ".join(SEKSI),
        )
    elif seksi not in SEKSI:
        check.problem(
            "unknown seksi '{value}'; use one of: {known}",
            line=_line(entry, "seksi"),
            entry=ref,
            value=str(seksi),
            known=", ".join(SEKSI),
        )
        seksi = None
    persyaratan = _requirements(check, entry, ref)
    produk = _plain(check, entry, "produk", ref, MAX_TEXT, required=True)
    standard = _standard(check, entry, ref)
    biaya = _biaya(check, entry, ref)
    if code is None or name is None or seksi is None or not persyaratan or standard is None:
        return None
    return Service(code, name, seksi, persyaratan, produk, standard, biaya, legal, keterangan, None, entry.line)


def parse(text: str | bytes) -> Catalogue:
    """The catalogue in ``text``, or ``CatalogueInvalid`` listing every problem (with its line and entry)."""
    if isinstance(text, bytes):
        if len(text) > MAX_BYTES:
            raise CatalogueInvalid(
                [Problem.of("the catalogue is larger than {limit} KiB", {"limit": MAX_BYTES // 1024})]
            )
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise CatalogueInvalid([Problem.of("the catalogue is not UTF-8 text; save it as UTF-8")]) from None
    if not isinstance(text, str):
        raise CatalogueInvalid([Problem.of("the catalogue must be YAML text")])
    if len(text.encode("utf-8")) > MAX_BYTES:
        raise CatalogueInvalid([Problem.of("the catalogue is larger than {limit} KiB", {"limit": MAX_BYTES // 1024})])
    loader = _Loader(text)
    try:
        document = loader.get_single_data()
    except _Refused as exc:
        raise CatalogueInvalid([exc.problem]) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise CatalogueInvalid(
            [
                Problem.of(
                    "this is not valid YAML: {reason}; check the indentation and the colons",
                    {"reason": exc.problem or exc.context or "unreadable"},
                    line=mark.line + 1 if mark else None,
                )
            ]
        ) from None
    except yaml.YAMLError as exc:
        raise CatalogueInvalid([Problem.of("this is not valid YAML: {reason}", {"reason": str(exc)[:200]})]) from None
    finally:
        loader.dispose()
    check = _Check(list(loader.problems))
    if not isinstance(document, _Map) or not isinstance(document.get("services"), list):
        check.problem("the catalogue must have a list services: with one entry per service", line=_line(document))
        raise CatalogueInvalid(check.problems)
    for key in document:
        if key not in ("title", "services"):
            check.problem(
                "unknown key '{key}' at the top; the catalogue has title and services",
                line=_line(document, key),
                key=key,
            )
    title = _text(document.get("title"))
    codes: dict[str, int] = {}
    services = [_service(check, entry, i, codes) for i, entry in enumerate(document["services"], 1)]
    if not document["services"]:
        check.problem("the catalogue lists no service", line=_line(document, "services"))
    if check.problems:
        raise CatalogueInvalid(check.problems)
    return Catalogue(tuple(s for s in services if s is not None), title)


def validate(text: str | bytes) -> None:
    parse(text)


HEADER = """\
# Katalog Jenis Layanan PTSP Kantor Kementerian Agama Kota Jakarta Selatan.
# Setiap layanan: code, name, seksi, persyaratan (code + text), produk, standard (ISO 8601:
# PT15M = 15 menit, P2D = 2 hari kerja), biaya, dasar_hukum. Layanan yang dilayani instansi
# lain (haji dan umrah: Kementerian Haji dan Umrah) hanya memuat referral.
"""


def dump(catalogue: Catalogue) -> str:
    """The YAML a catalogue edited in the UI is stored as (parses back to the same catalogue)."""
    body = yaml.safe_dump(catalogue.as_dict(), sort_keys=False, allow_unicode=True, width=100, default_flow_style=False)
    return HEADER + body


def slug(text: str, taken: set[str] | None = None) -> str:
    """A requirement code made from its text ("Fotokopi KTP pemohon" -> fotokopi_ktp_pemohon), unique in ``taken``."""
    words = re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_") or "item"
    base = words[:32].rstrip("_")
    if not base[0].isalnum():
        base = "item_" + base
    code, n = base, 2
    while taken is not None and code in taken:
        code, n = f"{base}_{n}", n + 1
    return code


# ------------------------------------------------------------- versions as stored
@dataclass(frozen=True)
class CatalogueVersionInfo:
    """One stored version of the catalogue; the newest is the one in use."""

    version: int
    sha256: str
    created_at: Any  # datetime (UTC)
    created_by: str | None
    note: str | None
    services: int
    created: bool = True  # False when the content was already the version in use
    in_use: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "sha256": self.sha256,
            "created_at": self.created_at.isoformat() if self.created_at else None,
            "created_by": self.created_by,
            "note": self.note,
            "services": self.services,
            "created": self.created,
            "in_use": self.in_use,
        }


@dataclass(frozen=True)
class CatalogueFile:
    """A version's YAML exactly as stored, with the name to save it under."""

    version: int
    content: str

    @property
    def filename(self) -> str:
        return f"services-v{self.version}.yaml"


@dataclass(frozen=True)
class CatalogueView:
    """The catalogue of one version (the one in use unless asked otherwise)."""

    info: CatalogueVersionInfo | None
    catalogue: Catalogue

    @property
    def version(self) -> int | None:
        return self.info.version if self.info is not None else None


# ------------------------------------------------------ editing one entry as a form
def fields_of(service: Service | None) -> dict[str, str]:
    """The edit form's values for an entry (requirements one per line as "code: text")."""
    if service is None:
        return {"biaya": FREE}
    return {
        "code": service.code,
        "name": service.name,
        "seksi": service.seksi or "",
        "persyaratan": "\n".join(f"{r.code}: {r.text}" for r in service.persyaratan),
        "produk": service.produk or "",
        "standard": service.standard or "",
        "biaya": service.biaya if service.referral is None else "",
        "dasar_hukum": "\n".join(service.dasar_hukum),
        "keterangan": service.keterangan or "",
        "referral": service.referral or "",
    }


_ITEM_LINE = re.compile(r"^\s*([a-z0-9][a-z0-9_]{0,39})\s*:\s*(.+)$")


def entry_from_fields(fields: Mapping[str, Any], code: str | None) -> dict[str, Any]:
    """The YAML entry the edit form describes; checked by ``parse`` like any other entry.

    A requirement line "code: text" keeps its code; a line of text alone gets a code made from it.
    """

    def value(key: str) -> str:
        raw = fields.get(key)
        return raw.strip() if isinstance(raw, str) else ""

    entry: dict[str, Any] = {"code": code if code is not None else value("code"), "name": value("name")}
    legal = [line.strip() for line in value("dasar_hukum").splitlines() if line.strip()]
    if value("referral"):
        entry["referral"] = value("referral")
    else:
        items: list[dict[str, str]] = []
        taken: set[str] = set()
        for line in value("persyaratan").splitlines():
            if not line.strip():
                continue
            match = _ITEM_LINE.match(line)
            item_code, text = (match[1], match[2].strip()) if match else (slug(line, taken), line.strip())
            taken.add(item_code)
            items.append({"code": item_code, "text": text})
        entry.update(
            {
                "seksi": value("seksi") or None,
                "persyaratan": items,
                "produk": value("produk") or None,
                "standard": value("standard") or None,
                "biaya": value("biaya") or None,
            }
        )
    if legal:
        entry["dasar_hukum"] = legal
    if value("keterangan"):
        entry["keterangan"] = value("keterangan")
    return {k: v for k, v in entry.items() if v is not None}


def with_entry(catalogue: Catalogue, entry: Mapping[str, Any], replacing: str | None) -> str:
    """The YAML of ``catalogue`` with ``entry`` added (or put in place of ``replacing``), to be parsed."""
    entries = [s.as_dict() for s in catalogue.services]
    if replacing is None:
        entries.append(dict(entry))
    else:
        entries = [dict(entry) if e["code"] == replacing else e for e in entries]
    document: dict[str, Any] = {"title": catalogue.title} if catalogue.title else {}
    document["services"] = entries
    return HEADER + yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=100)
