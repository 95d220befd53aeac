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

An SCE is filed before ICEGATE allots its CSN, which only the ACK carries: a declaration the
engine read without it has no IGM number, and an SCA quoting the CSN cannot find it by number.
:func:`filed_before_csn` finds it by what the SCA says of it instead — port, voyage and the
master B/L of each line it updates or deletes — when exactly one such declaration fits; the
amended manifest then carries the CSN.
"""

from __future__ import annotations

from typing import Any

from customs_engine.adapters.scmtr_json import manifest as mapping
from customs_engine.core.dates import india_date
from customs_engine.core.formats import Unapplied
from customs_engine.core.models import Function, ImportGeneralManifest, ManifestLine
from customs_engine.core.response import Finding
from customs_engine.core.rules import load_rules

#: the adapter's own rules (``rules.toml`` beside this module)
RULES = load_rules("customs_engine.adapters.scmtr_json")
_ACTIONS = {"S": "adds", "U": "updates", "D": "deletes"}

#: per object of a line: each JSON field an SCA update sends → the canonical fields it replaces
#: (what it does not send is kept; the B/L number and date of ``MCRef``/``HCRef`` always come)
_FIELDS: dict[str, dict[str, tuple[str, ...]]] = {
    "trnsprtDoc": {
        "cnsgnesName": ("consignee_name",),
        "cnsgnesCd": ("consignee_iec",),
        "goodsDescAsPerBl": ("description",),
    },
    "trnsprtDocMsr": {
        "nmbrOfPkgs": ("packages",),
        "typsOfPkgs": ("package_kind",),
        "grossWeight": ("gross_weight_kg",),
    },
    "locCstm": {"crgoMvmt": ("cargo_movement",), "typOfCrgo": ("cargo_movement",)},
}
#: an ``itemDtls`` entry's JSON fields → the goods item's fields
_ITEM_FIELDS = {
    "hsCd": ("hs_code",),
    "crgoItemDesc": ("description",),
    "nmbrOfPkgs": ("packages",),
    "typOfPkgs": ("package_kind",),
}


def actions(document: dict[str, Any]) -> list[dict[str, Any]]:
    """Per canonical line of the SCA (masters, each followed by its houses): its key, action,
    which objects and fields it sends, and its goods item actions."""
    out = []
    for mc_index, mc in enumerate(document["master"]["mastrCnsgmtDec"]):
        ref = mc["MCRef"]
        line = int(ref["lineNo"])
        base = f"/master/mastrCnsgmtDec/{mc_index}"
        out.append(_step(line, 0, ref.get("amendment", "U"), mc, base, "MCRef"))
        for hc_index, hc in enumerate(mc.get("houseCargoDec") or []):
            out.append(
                _step(
                    line,
                    int(hc["HCRef"]["subLineNo"]),
                    hc["HCRef"].get("amendment", "U"),
                    hc,
                    f"{base}/houseCargoDec/{hc_index}",
                    "HCRef",
                )
            )
    return out


def _step(
    line: int, subline: int, action: str, obj: dict[str, Any], base: str, ref: str
) -> dict[str, Any]:
    return {
        "line": line,
        "subline": subline,
        "action": action,
        "sent": sorted(obj),
        "fields": {name: sorted(value) for name, value in obj.items() if isinstance(value, dict)},
        "items": [
            {
                "seq": int(item["crgoItemSeqNmbr"]),
                "action": item.get("amendment", "U"),
                "fields": sorted(item),
                "goods": mapping.goods_item(item).model_dump(mode="json"),
                "pointer": f"{base}/itemDtls/{index}/amendment",
            }
            for index, item in enumerate(obj.get("itemDtls") or [])
        ],
        "pointer": f"{base}/{ref}/amendment",
    }


def filed_before_csn(
    sca: ImportGeneralManifest,
    steps: list[dict[str, Any]],
    candidates: list[ImportGeneralManifest],
) -> ImportGeneralManifest | None:
    """The declaration an SCA amends among ``candidates`` — the port's manifests filed without
    a CSN (``sca.lines`` parallel to ``steps``) — or ``None`` when not exactly one fits.

    A fitting one is of the SCA's port and voyage (``voyageDtls.cnvnceRefNmbr``, which the SCA
    must send), of its vessel when both name one, filed no later than the CSN's date, and has
    every master line the SCA updates or deletes, under the same master B/L number; the SCA
    must update or delete at least one (an SCA that only adds lines names no B/L already
    filed). Two declarations that fit, or none, leave the CSN unknown."""
    voyage = _key(sca.voyage)
    named = {
        (step["line"], _key(line.bl_number))
        for step, line in zip(steps, sca.lines, strict=True)
        if step["subline"] == 0 and step["action"] != "S"
    }
    csn_date = sca.igm_date
    if not voyage or not named or csn_date is None:
        return None

    def fits(manifest: ImportGeneralManifest) -> bool:
        filed = manifest.filed_at
        masters = {(ln.line, _key(ln.bl_number)) for ln in manifest.lines if ln.subline == 0}
        return (
            manifest.igm_number is None
            and manifest.port_code == sca.port_code
            and _key(manifest.voyage) == voyage
            and sca.vessel_name in (None, manifest.vessel_name or sca.vessel_name)
            and (filed is None or india_date(filed) <= csn_date)
            and named <= masters
        )

    found = [manifest for manifest in candidates if fits(manifest)]
    return found[0] if len(found) == 1 else None


def _key(text: str | None) -> str:
    """A voyage or B/L number as compared: padding and case aside."""
    return (text or "").strip().upper()


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
            lines[key], unfit = _updated(lines[key], new, step)
            refused += unfit
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


def _updated(
    old: ManifestLine, new: ManifestLine, step: dict[str, Any]
) -> tuple[ManifestLine, list[Finding]]:
    """``old`` with the fields the SCA sends for it replaced (``new`` holds their values), and
    its goods items changed item by item; with the refusals of item actions that do not fit."""
    values = old.model_dump()
    values.update(bl_number=new.bl_number, bl_date=new.bl_date)
    sent: dict[str, list[str]] = step.get("fields") or {}
    for obj, fields in _FIELDS.items():
        for key in sent.get(obj, ()):
            values.update({name: getattr(new, name) for name in fields.get(key, ())})
    goods, refused = _items(old, step)
    if goods is not None:
        values["goods_items"] = goods
    weight = values["gross_weight_kg"]
    if len(values["goods_items"]) == 1 and (goods is not None or "trnsprtDocMsr" in sent):
        # a line of one kind of goods: the item weighs what the line does (as an SCE is read)
        values["goods_items"][0]["gross_weight_kg"] = weight
    elif goods is not None:
        for item in values["goods_items"]:
            item["gross_weight_kg"] = None  # the guide gives no weight per item
    return ManifestLine.model_validate(values), refused


def _items(
    old: ManifestLine, step: dict[str, Any]
) -> tuple[list[dict[str, Any]] | None, list[Finding]]:
    """The line's goods items with the SCA's item actions applied (``None``: it sends none).

    The manifest keeps a line's goods items in their order, not their sequence numbers: item
    ``n`` of the line is ``crgoItemSeqNmbr`` ``n``, as an SCE numbers them. An update sends the
    fields it changes; an addition (``S``) of a number the line has, or an update or deletion
    of one it has not, refuses the SCA (``SCMTR-SCA-003``)."""
    actions = step.get("items") or []
    if not actions:
        return None, []
    items = {n: g.model_dump(mode="json") for n, g in enumerate(old.goods_items, start=1)}
    refused: list[Finding] = []
    for action in actions:
        seq, code = action["seq"], action["action"]
        if (code == "S") == (seq in items):
            refused.append(_item_refusal(old, action))
        elif code == "D":
            del items[seq]
        elif code == "S":
            items[seq] = action["goods"]
        else:
            for key in action["fields"]:
                for name in _ITEM_FIELDS.get(key, ()):
                    items[seq][name] = action["goods"][name]
    return [items[n] for n in sorted(items)], refused


def _item_refusal(line: ManifestLine, action: dict[str, Any]) -> Finding:
    where = f"line {line.line}" + (f" sub-line {line.subline}" if line.subline else "")
    code, seq = action["action"], action["seq"]
    count = len(line.goods_items)
    why = (
        f"{where} already has goods item {seq}"
        if code == "S"
        else f"{where} has no goods item {seq} (it has {count})"
    )
    return RULES["SCMTR-SCA-003"].finding(
        "reject",
        f"the SCA {_ACTIONS.get(code, code)} ({code}) goods item {seq} (itemDtls "
        f"crgoItemSeqNmbr {seq}), but {why}: the amendment is refused and nothing of it is filed",
        field=action.get("pointer"),
    )
