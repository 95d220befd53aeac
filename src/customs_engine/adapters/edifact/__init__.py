"""UN/EDIFACT adapter: CUSDEC D:96B and CUSCAR D:95B in, CUSRES D:96B out.

Modules, in the order data flows:

* ``tokenizer`` — text → pydifact ``Segment`` objects with 1-based positions (fast splitter);
* ``envelope`` — UNA/UNB/UNG/UNE/UNH/UNT/UNZ, counts and references → one raw message each;
* ``structure`` — branching order, mandatory segments and element lengths from ``mig/*.txt``;
* ``cusdec`` / ``cuscar`` (with ``reading``) — raw message → canonical model, strictly;
* ``reader`` — the whole file → ``ParsedMessage`` list, never raising;
* ``writer`` — canonical model → CUSDEC/CUSCAR (``customs convert --to edifact``);
* ``cusres`` — responses → one CUSRES interchange (``--format cusres``);
* ``plugin`` — the hooks.

Where the message implementation guide (``mig/``) leaves a canonical field without a place, this
adapter uses (and reads back):

* message ids longer than UNH 0062 allows (14) — UNH carries a stable 14-character short form,
  the full id travels as CUSDEC BGM 1004 (declarant's reference) / CUSCAR ``RFF+ABE``;
* manifest line B/L date — ``FTX+ZZZ+++BLDT:<CCYYMMDD>`` after GID (generic attribute convention);
* a manifest line's own totals beside its goods items, where the goods items do not imply them (a
  package kind of its own, a count or weight that is not their sum) — ``FTX+ZZZ+++LPKG:<n>``,
  ``LKND:<kind>``, ``LGWT:<kg>`` in the line's first GID group, as its own description
  (``LDSC``);
* ``importer.pan`` — ``RFF+AHP:<PAN>`` (1153 AHP, tax registration number) after ``NAD+IM`` and its
  ``RFF+VA`` (GSTIN).
"""
