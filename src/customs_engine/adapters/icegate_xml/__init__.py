"""ICEGATE-style XML: Bills of Entry and Import General Manifests read and written, responses
written (format name ``icegate_xml``)."""

FORMAT = "icegate_xml"
