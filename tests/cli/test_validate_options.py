"""``customs validate`` with --db / --commit / --as-of / --config (SPEC §8–§9)."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner, Result

from customs_engine.cli import main
from customs_engine.core.registry import SqlRegistry
from tests.conftest import MESSAGES, REGISTRY_CSV


def validate(*args: str) -> list[dict]:  # type: ignore[type-arg]
    result = CliRunner().invoke(
        main, ["validate", "--format", "jsonl", *args], catch_exceptions=False
    )
    assert result.exit_code in (0, 1), result.output
    return [json.loads(line) for line in result.stdout.splitlines()]


def test_without_commit_the_default_database_is_not_created(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CUSTOMS_DB", raising=False)
    responses = validate(str(MESSAGES / "02-be-laptops-ims.xml"))
    assert not (tmp_path / "customs.db").exists()
    assert "CORE-BOE-NOTE-002" in {f["rule"] for f in responses[0]["findings"]}


def test_commit_stores_the_igm_for_a_later_run(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'customs.db'}"
    CliRunner().invoke(main, ["registry", "import", "--db", url, str(REGISTRY_CSV)])
    validate("--db", url, str(MESSAGES / "01-igm-innsa1-2234567.xml"))
    unseen = validate("--db", url, str(MESSAGES / "02-be-laptops-ims.xml"))
    assert "CORE-BOE-NOTE-002" in {f["rule"] for f in unseen[0]["findings"]}
    validate("--db", url, "--commit", str(MESSAGES / "01-igm-innsa1-2234567.xml"))
    noted = validate("--db", url, str(MESSAGES / "02-be-laptops-ims.xml"))
    assert not {f["rule"] for f in noted[0]["findings"]} & {
        "CORE-BOE-NOTE-002",
        "CORE-BOE-NOTE-003",
    }
    store = SqlRegistry.open(url)
    assert len(store.find_manifests("2234567")) == 1
    store.close()


def test_as_of_and_config(tmp_path: Path) -> None:
    message = (
        (MESSAGES / "02-be-laptops-ims.xml")
        .read_text()
        .replace("<IEC>AAPFU0939F</IEC>", "<IEC>0123456789</IEC>")
        .replace("<GSTIN>27AAPFU0939F1ZV</GSTIN>", "")
    )
    path = tmp_path / "numeric-iec.xml"
    path.write_text(message)
    config = tmp_path / "customs.toml"
    config.write_text('[core]\nlegacy_numeric_iec_until = "2019-12-31"\n')

    def outcome(*args: str) -> str:
        response = validate(*args, str(path))[0]
        return next(f["outcome"] for f in response["findings"] if f["rule"] == "CORE-IEC-001")

    assert outcome() == "warn"
    assert outcome("--config", str(config)) == "reject"
    assert outcome("--config", str(config), "--as-of", "2019-06-01") == "warn"


def validate_the_igm_with(config: Path) -> Result:
    """``customs validate --config CONFIG`` of the example IGM."""
    return CliRunner().invoke(
        main,
        [
            "validate",
            "--no-progress",
            "--config",
            str(config),
            str(MESSAGES / "01-igm-innsa1-2234567.xml"),
        ],
    )


def test_a_config_table_naming_no_loaded_plugin_is_reported(tmp_path: Path) -> None:
    """``[aimz]`` for ``[aims]``: its settings would be ignored in silence; the run says so on
    stderr and goes on. A table of a loaded plugin is not reported."""
    config = tmp_path / "customs.toml"
    config.write_text('[aimz]\nfee_model = "per-thousand"\n[aims]\nfee_model = "flat"\n')
    result = validate_the_igm_with(config)
    assert result.exit_code == 0, result.output
    assert "--config table [aimz] names no loaded plugin" in result.stderr
    assert "[aims]" not in result.stderr
    converted = CliRunner().invoke(
        main,
        [
            "convert",
            "--config",
            str(config),
            str(MESSAGES / "01-igm-innsa1-2234567.xml"),
            "--to",
            "edifact",
        ],
    )
    assert "--config table [aimz]" in converted.stderr


def test_a_misspelt_setting_of_a_loaded_plugin_is_said(tmp_path: Path) -> None:
    """``quantity_tolerance_pctt`` was ignored in silence, and the customs answer changed; a
    plugin whose scheme says its settings has any other key of its table reported."""
    config = tmp_path / "customs.toml"
    config.write_text(
        "[sims]\nquantity_tolerance_pctt = 5\nvalidity_days = 75\n"
        '[core]\nlegacy_numeric_iec_untill = "2019-12-31"\n'
    )
    result = validate_the_igm_with(config)
    assert result.exit_code == 0, result.output
    said = result.stderr.splitlines()
    assert (
        "customs: --config [sims] quantity_tolerance_pctt is no setting of plugin 'sims', it is "
        "ignored (its settings: fee_model, hs_prefixes, quantity_tolerance_pct, validity_days, "
        "value_tolerance_pct)"
    ) in said
    assert (
        "customs: --config [core] legacy_numeric_iec_untill is no setting of plugin 'core', it is "
        "ignored (its settings: deadlines, iec, legacy_numeric_iec_until, ports, routing)"
    ) in said
    assert not any("validity_days is no setting" in line for line in said)


def test_a_misspelt_setting_of_a_format_adapter_is_said(tmp_path: Path) -> None:
    """A format adapter's table (``[ices_flatfile]``) says its keys on its ``WireFormat``:
    ``licence_scheme`` (for ``licence_schemes``) left every ICES licence code unmapped, in
    silence."""
    config = tmp_path / "customs.toml"
    config.write_text('[ices_flatfile]\nlicence_scheme = { IM = "IMS" }\nigm_number = "2234567"\n')
    said = validate_the_igm_with(config).stderr.splitlines()
    assert [line for line in said if "is no setting" in line] == [
        "customs: --config [ices_flatfile] licence_scheme is no setting of plugin "
        "'ices_flatfile', it is ignored (its settings: certificate_types, "
        "control_certificate_types, default_freight_pct, default_insurance_pct, igm_date, "
        "igm_number, licence_schemes, registration_exemptions, registrations)"
    ]
