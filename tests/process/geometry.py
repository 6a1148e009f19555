"""Geometric checks of a diagram's DI: overlaps, edges through shapes, labels, lanes."""

import itertools

from lxml import etree

NS = {
    "bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
    "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI",
    "dc": "http://www.omg.org/spec/DD/20100524/DC",
    "di": "http://www.omg.org/spec/DD/20100524/DI",
}


def load(path):
    root = etree.parse(path).getroot()
    elements = {e.get("id"): e for e in root.iter() if e.get("id")}
    shapes, labels, edges = {}, {}, {}
    for s in root.iterfind(".//bpmndi:BPMNShape", NS):
        b = s.find("dc:Bounds", NS)
        shapes[s.get("bpmnElement")] = tuple(float(b.get(k)) for k in ("x", "y", "width", "height"))
        lb = s.find("bpmndi:BPMNLabel/dc:Bounds", NS)
        if lb is not None:
            labels[s.get("bpmnElement")] = tuple(float(lb.get(k)) for k in ("x", "y", "width", "height"))
    for e in root.iterfind(".//bpmndi:BPMNEdge", NS):
        pts = [(float(p.get("x")), float(p.get("y"))) for p in e.iterfind("di:waypoint", NS)]
        edges[e.get("bpmnElement")] = pts
        lb = e.find("bpmndi:BPMNLabel/dc:Bounds", NS)
        if lb is not None:
            labels[e.get("bpmnElement")] = tuple(float(lb.get(k)) for k in ("x", "y", "width", "height"))
    return root, elements, shapes, labels, edges


def local(el):
    return etree.QName(el).localname


def inter(a, b, pad=0):
    ax, ay, aw, ah = a
    bx, by, bw, bh = b
    return ax < bx + bw + pad and bx < ax + aw + pad and ay < by + bh + pad and by < ay + ah + pad


def seg_hits_rect(p, q, r, shrink=2):
    """Liang-Barsky clip of segment pq against rectangle r shrunk by `shrink`."""
    x, y, w, h = r
    xmin, ymin, xmax, ymax = x + shrink, y + shrink, x + w - shrink, y + h - shrink
    (x0, y0), (x1, y1) = p, q
    dx, dy = x1 - x0, y1 - y0
    t0, t1 = 0.0, 1.0
    for pp, qq in ((-dx, x0 - xmin), (dx, xmax - x0), (-dy, y0 - ymin), (dy, ymax - y0)):
        if pp == 0:
            if qq < 0:
                return False
        else:
            t = qq / pp
            if pp < 0:
                t0 = max(t0, t)
            else:
                t1 = min(t1, t)
            if t0 > t1:
                return False
    return True


def check(path):
    root, elements, shapes, labels, edges = load(path)
    problems = []
    kind = {i: local(e) for i, e in elements.items()}
    containers = {i for i in shapes if kind.get(i) in ("participant", "lane", "group")}
    boundary_host = {i: e.get("attachedToRef") for i, e in elements.items() if kind[i] == "boundaryEvent"}
    solid = [i for i in shapes if i not in containers]
    # 1 shapes overlap
    for i, a in enumerate(solid):
        for b in solid[i + 1 :]:
            if boundary_host.get(a) == b or boundary_host.get(b) == a:
                continue
            if inter(shapes[a], shapes[b]):
                problems.append(f"shapes overlap: {a} / {b}")
    # 2 edges through shapes
    ends = {}
    for i, e in elements.items():
        if kind[i] in ("sequenceFlow",):
            ends[i] = {e.get("sourceRef"), e.get("targetRef")}
        elif kind[i] == "dataInputAssociation":
            ends[i] = {e.find("bpmn:sourceRef", NS).text, e.getparent().get("id")}
        elif kind[i] == "dataOutputAssociation":
            ends[i] = {e.find("bpmn:targetRef", NS).text, e.getparent().get("id")}
    for eid, pts in edges.items():
        own = set(ends.get(eid, set()))
        own |= {boundary_host[o] for o in list(own) if o in boundary_host}
        own |= {b for b, h in boundary_host.items() if h in own}  # edges leave a host near its timers
        for sid in solid:
            if sid in own:
                continue
            for p, q in itertools.pairwise(pts):
                if seg_hits_rect(p, q, shapes[sid]):
                    problems.append(f"edge {eid} crosses shape {sid}")
                    break
        for lid, lb in labels.items():
            if lid == eid or lid in own:
                continue
            for p, q in itertools.pairwise(pts):
                if seg_hits_rect(p, q, lb, shrink=0):
                    problems.append(f"edge {eid} crosses label of {lid}")
                    break
    # 3 labels overlap shapes / labels
    lab = list(labels.items())
    for i, (a, la) in enumerate(lab):
        for sid in solid:
            if sid != a and inter(la, shapes[sid]):
                problems.append(f"label of {a} overlaps shape {sid}")
        for b, lb in lab[i + 1 :]:
            if inter(la, lb):
                problems.append(f"labels overlap: {a} / {b}")
    # 4 lanes contain their nodes
    for lane in root.iterfind(".//bpmn:lane", NS):
        lx, ly, lw, lh = shapes[lane.get("id")]
        for ref in lane.iterfind("bpmn:flowNodeRef", NS):
            x, y, w, h = shapes[ref.text]
            if kind[ref.text] == "boundaryEvent":
                continue
            if not (x >= lx and y >= ly and x + w <= lx + lw and y + h <= ly + lh):
                problems.append(f"{ref.text} outside lane {lane.get('name')}")
            if ref.text in labels:
                x, y, w, h = labels[ref.text]
                if not (x >= lx and y >= ly and x + w <= lx + lw and y + h <= ly + lh):
                    problems.append(f"label of {ref.text} outside lane {lane.get('name')}")
    return problems
