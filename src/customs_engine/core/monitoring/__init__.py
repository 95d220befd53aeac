"""Import monitoring schemes (SIMS, AIMS and their kin): the data-driven scheme and the plugin
class thin scheme plugins subclass.
"""
