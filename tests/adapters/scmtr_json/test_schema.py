"""The project's SACHM22 schema against CBIC's: never looser on CBIC's samples, and stricter
where the message implementation guide is."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft4Validator

from customs_engine.adapters.scmtr_json.schema import schema
from customs_engine.adapters.scmtr_json.structure import problems

from .conftest import SCA, SCC, SCD, SCE, SCX

CBIC_SCHEMAS = {"D": "SCE,X,D_CSN_Schema.json", "A": "SCA_CSN_schema.json"}


def cbic(scmtr_dir: Path, variant: str) -> Draft4Validator:
    text = (scmtr_dir / "schemas" / CBIC_SCHEMAS[variant]).read_text(encoding="utf-8")
    return Draft4Validator(json.loads(text))


def variant_of(document: dict[str, Any]) -> str:
    return "A" if document.get("headerField", {}).get("reportingEvent") == "SCA" else "D"


def test_cbic_declaration_samples_are_all_here(declarations: dict[str, Path]) -> None:
    assert set(declarations) == {SCE, SCD, SCX, SCA, SCC}


def test_every_sample_cbic_accepts_ours_accepts(
    scmtr_dir: Path, declarations: dict[str, Path]
) -> None:
    accepted_by_cbic = []
    for name, path in declarations.items():
        document = json.loads(path.read_bytes())
        variant = variant_of(document)
        if cbic(scmtr_dir, variant).is_valid(document):
            accepted_by_cbic.append(name)
            decoded = json.loads(path.read_bytes(), parse_float=Decimal)
            assert problems(decoded, variant) == [], name  # type: ignore[arg-type]
    assert sorted(accepted_by_cbic) == sorted([SCE, SCD, SCA])


def test_samples_cbic_refuses_we_refuse_too(scmtr_dir: Path, load: Any) -> None:
    # SCX: house blDt written DDMMYYYY, consolidatorPan and trnsprtDocMsr missing
    found = {(p.instance, p.keyword) for p in problems(load(SCX), "D")}
    house = "/master/mastrCnsgmtDec/0/houseCargoDec/0"
    assert {
        (f"{house}/HCRef/blDt", "pattern"),
        (f"{house}/HCRef", "required"),
        (house, "required"),
    } <= found
    # SCC: "HeaderField" with a capital H, totals as a string
    found = {(p.instance, p.keyword) for p in problems(load(SCC), "D")}
    assert ("", "required") in found and ("", "additionalProperties") in found
    assert ("/master/voyageDtls/totalNoOfTrnsprtEqmtMnfsted", "type") in found


@pytest.mark.parametrize(
    ("mutate", "pointer", "keyword"),
    [
        # unknown properties (CBIC's schema has no additionalProperties anywhere)
        (
            lambda d: d["master"]["decRef"].update(extra="x"),
            "/master/decRef",
            "additionalProperties",
        ),
        # anchored patterns: CBIC's prtofRptng pattern is unanchored at the start
        (
            lambda d: d["master"]["decRef"].update(prtofRptng="XXINMUN1"),
            "/master/decRef/prtofRptng",
            "pattern",
        ),
        # code lists
        (
            lambda d: d["master"]["mastrCnsgmtDec"][0]["locCstm"].update(crgoMvmt="XX"),
            "/master/mastrCnsgmtDec/0/locCstm/crgoMvmt",
            "enum",
        ),
        # whole numbers
        (
            lambda d: d["master"]["mastrCnsgmtDec"][0]["MCRef"].update(lineNo=Decimal("1.5")),
            "/master/mastrCnsgmtDec/0/MCRef/lineNo",
            "multipleOf",
        ),
        # decimal places (MIG 12,3)
        (
            lambda d: d["master"]["mastrCnsgmtDec"][0]["trnsprtDocMsr"].update(
                grossWeight=Decimal("1.2345")
            ),
            "/master/mastrCnsgmtDec/0/trnsprtDocMsr/grossWeight",
            "multipleOf",
        ),
        # dates that do not exist
        (
            lambda d: d["master"]["decRef"].update(jobDt="20200231"),
            "/master/decRef/jobDt",
            "format",
        ),
        # a measure needs its unit
        (
            lambda d: d["master"]["mastrCnsgmtDec"][0]["trnsprtDocMsr"].pop("unitOfWeight"),
            "/master/mastrCnsgmtDec/0/trnsprtDocMsr",
            "dependencies",
        ),
        # master-level item details are type-checked (CBIC puts them outside "properties")
        (
            lambda d: d["master"]["mastrCnsgmtDec"][0]["itemDtls"][0].update(unoCd=5),
            "/master/mastrCnsgmtDec/0/itemDtls/0/unoCd",
            "type",
        ),
        # an HS code is digits
        (
            lambda d: d["master"]["mastrCnsgmtDec"][0]["itemDtls"][0].update(hsCd="ABCD"),
            "/master/mastrCnsgmtDec/0/itemDtls/0/hsCd",
            "pattern",
        ),
    ],
)
def test_stricter_than_cbic(
    scmtr_dir: Path, load: Any, mutate: Any, pointer: str, keyword: str
) -> None:
    document = load(SCE)
    mutate(document)
    plain = json.loads(json.dumps(document, default=float))
    assert cbic(scmtr_dir, "D").is_valid(plain), "CBIC's own schema lets this through"
    found = [(p.instance, p.keyword) for p in problems(document, "D")]
    assert (pointer, keyword) in found


def test_schema_is_draft4_and_mirrors_cbic_pointers(scmtr_dir: Path) -> None:
    for variant in ("D", "A"):
        Draft4Validator.check_schema(json.loads(json.dumps(schema(variant), default=float)))
    ours = schema("D")
    jobno = ours["properties"]["master"]["properties"]["decRef"]["properties"]["jobNo"]
    assert jobno["type"] == "number"  # reported as ["integer","number"], as ICEGATE does


def test_amendment_variant_needs_the_csn_and_an_action(load: Any) -> None:
    document = load(SCA)
    assert problems(document, "A") == []
    del document["master"]["decRef"]["csnNmbr"]
    document["master"]["mastrCnsgmtDec"][0]["trnsprtEqmt"][0]["amendment"] = "X"
    found = {(p.instance, p.keyword) for p in problems(document, "A")}
    assert ("/master/decRef", "required") in found
    assert ("/master/mastrCnsgmtDec/0/trnsprtEqmt/0/amendment", "enum") in found
