"""SIMS — Steel Import Monitoring System (RULES.md §3): registration for Chapters 72, 73, 86."""
