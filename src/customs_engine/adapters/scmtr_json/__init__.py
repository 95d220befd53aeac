"""SCMTR sea cargo manifests: ICEGATE's SACHM22 JSON declarations (SCE, SCX, SCD, SCA).

Since the Sea Cargo Manifest and Transhipment Regulations 2018 a sea carrier files its cargo
manifest with ICEGATE as JSON. This adapter reads those declarations, validates them against a
schema built from the message implementation guide's field tables, maps an arrival declaration
(SCE) onto the Import General Manifest, and answers in ICEGATE's reply formats.
"""
