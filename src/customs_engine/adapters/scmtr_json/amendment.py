"""An SCA amendment applied to the CSN it names: the whole amended manifest.

An SCA names its CSN (``decRef.csnNmbr``/``csnDt``) and sends only what changes. Each master and
house line carries its action in ``MCRef.amendment`` / ``HCRef.amendment``: ``S`` adds the line,
``U`` updates it — the objects it sends replace the current line's values, what it does not send
is kept — and ``D`` deletes it (a deleted master line takes its house lines with it). Lines are
keyed by line and sub-line number, as ICEGATE keys them (guide errors 306 and 307).

The result is the current manifest with the lines changed, its own ``message_id`` (the document
is the manifest that was filed), ``function`` amendment: the core's lifecycle rules then see an
IGM amendment (CORE-IGM-003; an excised line, CORE-IGM-004), and later Bills of Entry are noted
against it.
"""

from __future__ import annotations

from typing import Any

from customs_engine.core.models import Function, ImportGeneralManifest, ManifestLine

#: the fields of a line an SCA object replaces when it is sent (object → canonical fields)
_FIELDS = {
    "trnsprtDoc": ("consignee_name", "consignee_iec", "description"),
    "trnsprtDocMsr": ("packages", "package_kind", "gross_weight_kg"),
    "locCstm": ("cargo_movement",),
    "ref": ("bl_number", "bl_date"),
}


def actions(document: dict[str, Any]) -> list[dict[str, Any]]:
    """Per canonical line of the SCA (masters, each followed by its houses): its key, action and
    which objects it sends."""
    out = []
    for mc in document["master"]["mastrCnsgmtDec"]:
        ref = mc["MCRef"]
        line = int(ref["lineNo"])
        out.append(
            {"line": line, "subline": 0, "action": ref.get("amendment", "U"), "sent": sorted(mc)}
        )
        for hc in mc.get("houseCargoDec") or []:
            out.append(
                {
                    "line": line,
                    "subline": int(hc["HCRef"]["subLineNo"]),
                    "action": hc["HCRef"].get("amendment", "U"),
                    "sent": sorted(hc),
                }
            )
    return out


def apply(
    current: ImportGeneralManifest, sca: ImportGeneralManifest, steps: list[dict[str, Any]]
) -> ImportGeneralManifest:
    """``current`` with the SCA's line actions applied (``sca.lines`` parallel to ``steps``)."""
    lines = {(ln.line, ln.subline): ln for ln in current.lines}
    for step, new in zip(steps, sca.lines, strict=True):
        key = (step["line"], step["subline"])
        if step["action"] == "D":
            doomed = [k for k in lines if k == key or (key[1] == 0 and k[0] == key[0])]
            for k in doomed:
                del lines[k]
        elif step["action"] == "S" or key not in lines:
            lines[key] = new
        else:
            lines[key] = _updated(lines[key], new, step["sent"])
    return current.model_copy(
        update={
            "function": Function.AMENDMENT,
            "filed_at": sca.filed_at or current.filed_at,
            "lines": [lines[k] for k in sorted(lines)],
        }
    )


def _updated(old: ManifestLine, new: ManifestLine, sent: list[str]) -> ManifestLine:
    values = old.model_dump()
    objects = [*sent, "ref"]
    for obj, fields in _FIELDS.items():
        if obj in objects:
            values.update({name: getattr(new, name) for name in fields})
    if "itemDtls" in sent:
        values["goods_items"] = [g.model_dump() for g in new.goods_items]
    elif "trnsprtDocMsr" in sent and len(old.goods_items) <= 1:
        values["goods_items"] = []  # one kind of goods: rebuilt from the new totals
    return ManifestLine.model_validate(values)
