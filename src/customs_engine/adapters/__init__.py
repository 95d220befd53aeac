"""Format adapters: one folder per wire format, each a plugin of the ``customs_engine`` group."""
