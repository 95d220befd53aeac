"""UN/EDIFACT adapter: CUSDEC D:96B and CUSCAR D:95B in, CUSRES D:96B out (SPEC §6)."""
