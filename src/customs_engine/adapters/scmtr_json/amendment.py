"""An SCA amendment applied to the CSN it names: the whole amended manifest.

An SCA names its CSN (``decRef.csnNmbr``/``csnDt``) and sends only what changes. Each master and
house line carries its action in ``MCRef.amendment`` / ``HCRef.amendment``: ``S`` adds the line,
``U`` updates it — the objects it sends replace the current line's values, what it does not send
is kept — and ``D`` deletes it (a deleted master line takes its house lines with it). Lines are
keyed by line and sub-line number, as ICEGATE keys them: an update or deletion of a line the
manifest does not have (guide error 306, ``SCMTR-SCA-001``) or an addition of one it has (307,
``SCMTR-SCA-002``) refuses the whole SCA — it is answered, never filed. A house line deleted with
its master earlier in the same SCA, or added under a master the SCA adds, fits.

The result is the current manifest with the lines changed, its own ``message_id`` (the document
is the manifest that was filed), ``function`` amendment: the core's lifecycle rules then see an
IGM amendment (CORE-IGM-003; an excised line, CORE-IGM-004), and later Bills of Entry are noted
against it.
"""

from __future__ import annotations

from typing import Any

from customs_engine.core.formats import Unapplied
from customs_engine.core.models import Function, ImportGeneralManifest, ManifestLine
from customs_engine.core.response import Finding
from customs_engine.core.rules import load_rules

#: the adapter's own rules (``rules.toml`` beside this module)
RULES = load_rules("customs_engine.adapters.scmtr_json")
_ACTIONS = {"S": "adds", "U": "updates", "D": "deletes"}

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
    for mc_index, mc in enumerate(document["master"]["mastrCnsgmtDec"]):
        ref = mc["MCRef"]
        line = int(ref["lineNo"])
        base = f"/master/mastrCnsgmtDec/{mc_index}"
        out.append(
            {
                "line": line,
                "subline": 0,
                "action": ref.get("amendment", "U"),
                "sent": sorted(mc),
                "pointer": f"{base}/MCRef/amendment",
            }
        )
        for hc_index, hc in enumerate(mc.get("houseCargoDec") or []):
            out.append(
                {
                    "line": line,
                    "subline": int(hc["HCRef"]["subLineNo"]),
                    "action": hc["HCRef"].get("amendment", "U"),
                    "sent": sorted(hc),
                    "pointer": f"{base}/houseCargoDec/{hc_index}/HCRef/amendment",
                }
            )
    return out


def apply(
    current: ImportGeneralManifest, sca: ImportGeneralManifest, steps: list[dict[str, Any]]
) -> ImportGeneralManifest | Unapplied:
    """``current`` with the SCA's line actions applied (``sca.lines`` parallel to ``steps``); or,
    when an action does not fit the manifest (guide errors 306, 307), :class:`Unapplied`: the
    manifest with only the fitting actions applied, answered with a rejecting finding for each
    action that does not fit and never filed."""
    lines = {(ln.line, ln.subline): ln for ln in current.lines}
    #: lines this SCA deleted (a master's houses with it): deleting them again fits
    deleted: set[tuple[int, int]] = set()
    refused: list[Finding] = []
    for step, new in zip(steps, sca.lines, strict=True):
        key = (step["line"], step["subline"])
        action = step["action"]
        present = key in lines
        if (action == "S") == present and not (action == "D" and key in deleted):
            refused.append(_refusal(current, step, key))
        elif action == "D":
            doomed = [k for k in lines if k == key or (key[1] == 0 and k[0] == key[0])]
            for k in doomed:
                del lines[k]
            deleted.update(doomed)
        elif action == "S":
            lines[key] = new
        else:
            lines[key] = _updated(lines[key], new, step["sent"])
    amended = current.model_copy(
        update={
            "function": Function.AMENDMENT,
            "filed_at": sca.filed_at or current.filed_at,
            "lines": [lines[k] for k in sorted(lines)],
        }
    )
    return Unapplied(message=amended, findings=refused) if refused else amended


def _refusal(current: ImportGeneralManifest, step: dict[str, Any], key: tuple[int, int]) -> Finding:
    """Guide error 306 (an update or deletion of a line the manifest does not have) or 307 (an
    addition of one it has), at the line's ``amendment``."""
    line = f"line {key[0]}" if key[1] == 0 else f"line {key[0]} sub-line {key[1]}"
    csn = f"CSN {current.igm_number}" if current.igm_number else f"manifest {current.message_id}"
    action = step["action"]
    if action == "S":
        rule, why = "SCMTR-SCA-002", f"the manifest of {csn} already has {line}"
        code = "307, Line_No+Sline_No already exists for Addition"
    else:
        rule, why = "SCMTR-SCA-001", f"the manifest of {csn} has no {line}"
        code = "306, Line_No+Sline_No not exists for Update/Delete"
    return RULES[rule].finding(
        "reject",
        f"the SCA {_ACTIONS.get(action, action)} ({action}) {line}, but {why} (guide error "
        f"{code}): the amendment is refused and nothing of it is filed",
        field=step.get("pointer"),
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
