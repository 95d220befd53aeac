"""SCMTR sea cargo manifests: ICEGATE's SACHM22 JSON declarations (SCE, SCX, SCD, SCA).

Since the Sea Cargo Manifest and Transhipment Regulations 2018 a sea carrier files its cargo
manifest with ICEGATE as JSON. This adapter reads those declarations, validates them against a
schema built from the message implementation guide's field tables, maps an arrival declaration
(SCE) onto the Import General Manifest, and answers in ICEGATE's reply formats.

The reader and the reply writers are imported when first used: a run that meets no SCMTR
declaration does not load them.
"""

FORMAT = "scmtr_json"
#: the reply formats: structural-failure replies and acknowledgements
SFL_FORMAT = "scmtr-sfl"
ACK_FORMAT = "scmtr-ack"
