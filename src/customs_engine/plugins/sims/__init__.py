"""SIMS — Steel Import Monitoring System: registration for Chapters 72, 73, 86."""
