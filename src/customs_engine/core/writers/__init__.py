"""The built-in response writers (text, json, jsonl, csv, junit) and what makes untrusted text
safe to print.
"""
