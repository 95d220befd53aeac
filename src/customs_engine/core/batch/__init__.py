"""A validation run over many inputs: files, directories and archives read member by member,
worker processes, progress and the run's tally.
"""
