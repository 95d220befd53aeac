"""ICES 1.5 flat files: CACHI01 Bills of Entry and SACHI01 sea IGMs in, CHCAI02 acks out.

Format name ``ices_flatfile``. Detection: an HREC header whose position 9 is ``CACHI01``,
``CACHI01_A`` or ``SACHI01``. Layouts: ``layouts.toml`` (transcribed from CACHI01_FORMAT.md and
SACHI01_FORMAT.md); code maps: ``maps.toml``, overridable through ``--config`` (keys documented
in :mod:`.settings`). Mapping choices: :mod:`.cachi01`, :mod:`.sachi01`, :mod:`.valuation`;
acknowledgement: :mod:`.ack`.
"""
